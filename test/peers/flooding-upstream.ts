/**
 * @module test/peers/flooding-upstream
 * A fake OpenAI-compatible provider that answers past any size cap, over HTTP/2 (TLS) or HTTP/1.1: a stream of
 * small valid chunks, or an error body that never closes its JSON, written with backpressure until cut or a stop.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import {
  createSecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from "node:http2";
import type { AddressInfo } from "node:net";

/** One answer as the provider wrote it. */
export interface Flood {
  /** Bytes handed to the socket so far (the server never queues past its write buffer). */
  written: number;
  /** True once the whole flood was written (the client never cut it). */
  completed: boolean;
  /** Resolves when the answer's stream or socket closed (cut by the client, or ended). */
  readonly closed: Promise<void>;
}

export type FloodMode = "stream" | "error";

export interface FloodingUpstreamOptions {
  /** `h2`: HTTP/2 only, over TLS with `tls`; `http1`: plain HTTP/1.1. */
  readonly protocol: "h2" | "http1";
  readonly tls?: { readonly key: string; readonly cert: string };
  /** The answer's size when nothing cuts it (far past the cap under test). */
  readonly floodBytes: number;
}

export interface FloodingUpstream {
  /** `https://localhost:port` (h2) or `http://127.0.0.1:port`. */
  readonly origin: string;
  /** What the next answers are: an SSE stream (200) or an error body (400). */
  mode: FloodMode;
  /** Every answer begun, in order. */
  readonly floods: Flood[];
  close(): Promise<void>;
}

const CHUNK_EVENT = `data: ${JSON.stringify({
  id: "chatcmpl-flood",
  object: "chat.completion.chunk",
  created: 1,
  model: "flood-model",
  choices: [{ index: 0, delta: { content: "x".repeat(1000) }, finish_reason: null }],
})}\n\n`;
const ERROR_HEAD = '{"error":{"type":"invalid_request_error","message":"';

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

export async function startFloodingUpstream(options: FloodingUpstreamOptions): Promise<FloodingUpstream> {
  const floods: Flood[] = [];
  const upstream = { mode: "stream" as FloodMode };

  const answer = (request: Request, response: Response) => {
    request.resume();
    const stream = upstream.mode === "stream";
    const piece = Buffer.from(stream ? CHUNK_EVENT : "y".repeat(1024));
    let closedResolve = () => {};
    const flood: Flood = {
      written: 0,
      completed: false,
      closed: new Promise<void>((resolve) => {
        closedResolve = resolve;
      }),
    };
    floods.push(flood);
    let stopped = false;
    response.on("close", () => {
      stopped = true;
      closedResolve();
    });
    // The two servers' responses share this much of their API (their unions' signatures do not combine).
    const common = response as unknown as {
      writeHead(status: number, headers: Record<string, string>): void;
      write(chunk: Buffer | string): boolean;
    };
    common.writeHead(stream ? 200 : 400, {
      "content-type": stream ? "text/event-stream" : "application/json",
    });
    const write = (chunk: Buffer | string): boolean => common.write(chunk);
    if (!stream) {
      flood.written += ERROR_HEAD.length;
      write(ERROR_HEAD);
    }
    const pump = () => {
      while (!stopped && flood.written < options.floodBytes) {
        flood.written += piece.length;
        if (!write(piece)) {
          response.once("drain", pump);
          return;
        }
      }
      if (stopped) return;
      flood.completed = true;
      response.end(stream ? "data: [DONE]\n\n" : '"}}');
    };
    pump();
  };

  const server =
    options.protocol === "h2"
      ? createSecureServer({ ...(options.tls ?? {}), allowHTTP1: false }, answer)
      : createServer(answer);
  const sessions = new Set<Http2Session>();
  server.on("session", (session: Http2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  const host = options.protocol === "h2" ? "localhost" : "127.0.0.1";
  server.listen(0, host);
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const scheme = options.protocol === "h2" ? "https" : "http";
  return {
    origin: `${scheme}://${host}:${port}`,
    get mode() {
      return upstream.mode;
    },
    set mode(mode: FloodMode) {
      upstream.mode = mode;
    },
    floods,
    async close() {
      if ("closeAllConnections" in server) server.closeAllConnections();
      for (const session of sessions) session.destroy();
      const closed = once(server, "close");
      server.close();
      await closed;
    },
  };
}
