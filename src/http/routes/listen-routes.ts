/**
 * @module http/routes/listen-routes
 * Deepgram-compatible speech-to-text: `POST /v1/listen` (prerecorded, the upload streamed through),
 * the live `GET /v1/listen` WebSocket (authenticated and opened upstream on the upgrade, then relayed), and
 * `POST /v1/listen/tickets` for browsers, which cannot set headers on a WebSocket.
 */
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import websocket from "@fastify/websocket";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Principal } from "../../auth/principal.ts";
import { GatewayError, isGatewayError } from "../../errors/gateway-error.ts";
import type { Byok } from "../../library/create-byok.ts";
import type { LiveRelay, LiveSession, ModelCall } from "../../pipeline/index.ts";
import type { ByokContext } from "../../validation/byok-context.ts";
import { closeCodeFor, closeReasonFor, LIVE_CLOSE } from "../../wire/deepgram/live-close-codes.ts";
import { authenticateUser } from "../plugins/request-guards.ts";
import { modelCallOf, sendPipelineResponse } from "./send-pipeline-response.ts";

/** What the upgrade's preHandler decided, for the socket handler. */
type LiveOpening =
  | {
      readonly ok: true;
      readonly session: LiveSession;
      /** Hands the session to the relay: false when the client already left (the session was closed). */
      readonly claim: () => boolean;
    }
  | { readonly ok: false; readonly error: unknown };

declare module "fastify" {
  interface FastifyRequest {
    liveOpening: LiveOpening | null;
  }
}

const queryOf = (request: FastifyRequest) => {
  const at = request.url.indexOf("?");
  return new URLSearchParams(at === -1 ? "" : request.url.slice(at + 1));
};

/** Exactly what Fastify's JSON parser takes; every other content type is audio. */
const isJson = (contentType: string) => /^application\/json\s*(?:;|$)/i.test(contentType);

/** An upgrade `ws` will complete (RFC 6455 version 13 and a well-formed key): only then is the provider asked. */
function isValidUpgrade(request: FastifyRequest): boolean {
  const key = request.headers["sec-websocket-key"];
  return (
    request.headers["sec-websocket-version"] === "13" &&
    typeof key === "string" &&
    /^[+/0-9A-Za-z]{22}==$/.test(key.trim())
  );
}

function contentLengthOf(request: FastifyRequest): number | null {
  const header = request.headers["content-length"];
  return header !== undefined && /^\d+$/.test(header) ? Number(header) : null;
}

/** The caller of a live socket: a listen ticket (browsers), else the token and keys in its headers. */
async function liveCaller(
  byok: Byok,
  request: FastifyRequest,
): Promise<{ principal: Principal; byok: ByokContext }> {
  const ticket = queryOf(request).get("ticket");
  if (ticket === null) {
    const principal = await authenticateUser(byok, request, "deepgram");
    return { principal, byok: await byok.validate(principal, request.headers) };
  }
  byok.anonymousLimit.check(request.ip);
  const grant = byok.listenTickets.redeem(ticket);
  if (grant === null) {
    await byok.anonymousLimit.recordFailure(request.ip);
    throw new GatewayError("invalid_credentials", {
      message: "The listen ticket is unknown, already used or expired; ask for a new one.",
      param: "ticket",
    });
  }
  return grant;
}

export function registerListenRoutes(app: FastifyInstance, byok: Byok): void {
  const settings = byok.config.speechToText;
  const relays = new Set<LiveRelay>();
  /** Sessions still opening (authentication, admission, the provider's handshake). */
  const openings = new Set<AbortController>();
  let closing = false;
  app.decorateRequest("liveOpening", null);

  app.register(websocket, {
    options: { maxPayload: settings.liveMaxMessageBytes, perMessageDeflate: false },
    // Shutdown: openings are aborted, no upgrade completes any more (503), and live sessions end with
    // 1001 (and are reported); any other socket closes the same way.
    preClose(done) {
      closing = true;
      for (const controller of openings) controller.abort(new Error("the gateway is shutting down"));
      for (const relay of relays) relay.shutdown();
      for (const client of app.websocketServer.clients)
        client.close(LIVE_CLOSE.goingAway, "the gateway is shutting down");
      app.websocketServer.close();
      done();
    },
    // A client's protocol error (an oversized or malformed frame, a reset): ws already closes the socket
    // with the right code (1009, 1007, …) and the relay finishes the session as for a client that vanished;
    // nothing to terminate or log as the gateway's error.
    errorHandler(error, _socket, request) {
      request.log.debug({ error: error.message }, "live socket error");
    },
  });

  app.register(async (scope) => {
    // The 101 response says what the session runs on, as X-BYOK-Route and X-BYOK-Status do elsewhere.
    const upgradeHeaders = new WeakMap<IncomingMessage, readonly string[]>();
    scope.websocketServer.on("headers", (headers: string[], raw: IncomingMessage) => {
      headers.push(...(upgradeHeaders.get(raw) ?? []));
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
            modelCallOf(request, reply),
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

    scope.route({
      method: "GET",
      url: "/v1/listen",
      config: { auth: "public", dialect: "deepgram", websocket: true },
      handler: async () => {
        throw new GatewayError("upgrade_required", {
          message: "GET /v1/listen is the live transcription WebSocket: send an upgrade request.",
        });
      },
      // Authentication, validation, routing, admission and the provider's socket, all before the client's
      // socket opens: a refusal is a close code on an accepted socket, so browsers can read it.
      preHandler: async (request) => {
        if (!request.ws || !isValidUpgrade(request)) return; // ws answers a malformed upgrade with a 400
        const controller = new AbortController();
        openings.add(controller);
        const socket = request.raw.socket;
        const onGone = () => controller.abort(new Error("the client went away"));
        // Nobody reads an upgrade's socket until it is accepted, so its end would go unnoticed: read it
        // meanwhile (a client sends nothing before the 101) to learn at once when the client leaves.
        const ignore = () => {};
        socket.on("data", ignore);
        socket.once("end", onGone);
        socket.once("close", onGone);
        try {
          if (closing) throw new GatewayError("service_unavailable");
          const caller = await liveCaller(byok, request);
          request.principal = caller.principal;
          request.byok = caller.byok;
          const call: ModelCall = {
            userId: caller.principal.userId,
            plan: caller.principal.plan,
            byok: caller.byok,
            signal: controller.signal,
          };
          const session = await byok.pipeline.openLive(call, queryOf(request));
          // Until the relay claims it, a client that leaves gets the session closed (and reported).
          let claimed = false;
          const lost = () => {
            if (claimed) return;
            claimed = true;
            byok.pipeline.abandonLive(session);
          };
          if (socket.destroyed || socket.readableEnded) lost();
          else socket.once("close", lost);
          request.liveOpening = {
            ok: true,
            session,
            claim: () => {
              socket.off("close", lost);
              if (claimed) return false;
              claimed = true;
              return true;
            },
          };
        } catch (error) {
          request.liveOpening = { ok: false, error };
        } finally {
          openings.delete(controller);
          socket.off("data", ignore);
          socket.off("end", onGone);
          socket.off("close", onGone);
        }
        const opening = request.liveOpening;
        const said: string[] = [`x-request-id: ${request.id}`];
        if (request.byok !== null) said.push(`x-byok-status: ${request.byok.statusHeader}`);
        const route = opening.ok
          ? opening.session.routeHeader["x-byok-route"]
          : isGatewayError(opening.error)
            ? opening.error.headers["x-byok-route"]
            : undefined;
        if (route !== undefined) said.push(`x-byok-route: ${route}`);
        upgradeHeaders.set(request.raw, said);
      },
      wsHandler: (client, request) => {
        const opening = request.liveOpening;
        if (opening === null) {
          client.close(LIVE_CLOSE.internalError, "internal_error");
          return;
        }
        if (!opening.ok) {
          const { error } = opening;
          const refusal = isGatewayError(error) ? error : new GatewayError("internal_error");
          if (refusal.status >= 500) request.log.error({ err: error }, "live session failed to open");
          else
            request.log.info(
              { type: refusal.type, userId: request.principal?.userId },
              "live session refused",
            );
          client.close(closeCodeFor(refusal), closeReasonFor(refusal));
          return;
        }
        if (!opening.claim()) return; // the client left before its socket opened
        if (closing) {
          byok.pipeline.abandonLive(opening.session);
          client.close(LIVE_CLOSE.goingAway, "the gateway is shutting down");
          return;
        }
        const relay = byok.pipeline.relayLive(opening.session, client, {
          onPaused: (slow, queuedBytes) =>
            request.log.debug(
              { slow, queuedBytes, userId: request.principal?.userId },
              "live session paused: one side is slow",
            ),
          onChargeFailed: (error) =>
            request.log.error({ err: error }, "a live session's audio could not be charged"),
        });
        relays.add(relay);
        // Registered as open: revoking the user (or, on their own key, changing the enrollment) cuts it.
        const open = byok.pipeline.openCalls.open(opening.session.call.userId, new AbortController().signal);
        open.routed(opening.session.routed.route.source);
        open.signal.addEventListener("abort", () => relay.cut(open.signal.reason as GatewayError), {
          once: true,
        });
        void relay.finished.then(() => {
          relays.delete(relay);
          open.close();
        });
      },
    });
  });

  app.post("/v1/listen/tickets", { config: { auth: "user", byok: "enforce" } }, async (request, reply) => {
    const issued = byok.listenTickets.issue({ principal: request.principal!, byok: request.byok! });
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
