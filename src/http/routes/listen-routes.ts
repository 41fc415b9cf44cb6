/**
 * @module http/routes/listen-routes
 * Deepgram-compatible speech-to-text: `POST /v1/listen` (prerecorded, the upload streamed through),
 * the live `GET /v1/listen` WebSocket (its route in live-listen-route.ts), and `POST /v1/listen/tickets`
 * for browsers, which cannot set headers on a WebSocket.
 */
import { Readable } from "node:stream";
import websocket from "@fastify/websocket";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { GatewayError } from "../../errors/gateway-error.ts";
import type { Byok } from "../../library/create-byok.ts";
import { LIVE_CLOSE } from "../../wire/deepgram/live-close-codes.ts";
import { type LiveSessions, registerLiveListenRoute } from "./live-listen-route.ts";
import { modelCallOf, sendPipelineResponse } from "./send-pipeline-response.ts";

const queryOf = (request: FastifyRequest) => {
  const at = request.url.indexOf("?");
  return new URLSearchParams(at === -1 ? "" : request.url.slice(at + 1));
};

/** Exactly what Fastify's JSON parser takes; every other content type is audio. */
const isJson = (contentType: string) => /^application\/json\s*(?:;|$)/i.test(contentType);

function contentLengthOf(request: FastifyRequest): number | null {
  const header = request.headers["content-length"];
  return header !== undefined && /^\d+$/.test(header) ? Number(header) : null;
}

export function registerListenRoutes(app: FastifyInstance, byok: Byok): void {
  const settings = byok.config.speechToText;
  let live: LiveSessions | null = null;
  app.register(async (scope) => {
    // The WebSocket plugin only in this scope: its onRequest and onResponse hooks, and the wrapper it puts
    // around every handler, would otherwise run on every request of every route. Upgrades anywhere else are
    // refused by the guard (404), whose answer ends the socket.
    await scope.register(websocket, {
      options: { maxPayload: settings.liveMaxMessageBytes, perMessageDeflate: false },
      // Shutdown: openings are aborted, no upgrade completes any more (503), and live sessions end with
      // 1001 (and are reported); any other socket closes the same way.
      preClose(done) {
        live?.shutdown();
        for (const client of scope.websocketServer.clients)
          client.close(LIVE_CLOSE.goingAway, "the gateway is shutting down");
        scope.websocketServer.close();
        done();
      },
      // A client's protocol error (an oversized or malformed frame, a reset): ws already closes the socket
      // with the right code (1009, 1007, …) and the relay finishes the session as for a client that vanished;
      // nothing to terminate or log as the gateway's error.
      errorHandler(error, _socket, request) {
        request.log.debug({ error: error.message }, "live socket error");
      },
    });
    // Audio of any content type reaches the handler as the request stream itself (never buffered);
    // JSON (`{"url": ...}`) is parsed as usual.
    scope.removeContentTypeParser(["text/plain"]);
    scope.addContentTypeParser("*", (_request, payload, done) => done(null, payload));

    scope.post(
      "/v1/listen",
      { config: { auth: "user", byok: "enforce", dialect: "deepgram" } },
      async (request, reply) => {
        const contentType = request.headers["content-type"] ?? "";
        const audio = isJson(contentType) ? null : (request.body as Readable | undefined);
        try {
          const response = await byok.pipeline.transcribe(
            modelCallOf(byok, request, reply),
            queryOf(request),
            audio === null
              ? { kind: "url", body: request.body }
              : {
                  kind: "audio",
                  stream: audio ?? Readable.from([]),
                  contentType: contentType || "application/octet-stream",
                  contentLength: audio === undefined ? 0 : contentLengthOf(request),
                },
          );
          return sendPipelineResponse(reply, response);
        } catch (error) {
          // An upload refused before it was read is not read at all: the connection closes after the answer.
          if (audio && !audio.readableEnded) reply.header("connection", "close");
          throw error;
        }
      },
    );

    live = registerLiveListenRoute(scope, byok);
  });

  app.post("/v1/listen/tickets", { config: { auth: "user", byok: "enforce" } }, async (request, reply) => {
    const model = queryOf(request).get("model");
    if (model === null || model === "") {
      throw new GatewayError("invalid_request", {
        message: "Name the model (a feature) the ticket is for: POST /v1/listen/tickets?model=<feature>.",
        param: "model",
      });
    }
    const issued = await byok.listenTickets.issue({
      principal: request.principal!,
      model,
      byok: request.byok!,
    });
    return reply
      .code(201)
      .header("cache-control", "no-store")
      .send({
        ticket: issued.ticket,
        expires_at: new Date(issued.expiresAt).toISOString(),
        expires_in: settings.ticketTtlSeconds,
      });
  });
}
