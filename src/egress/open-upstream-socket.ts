/**
 * @module egress/open-upstream-socket
 * Opens a WebSocket to a configured provider (Deepgram live): a handshake time limit, no redirects, no
 * compression, a message size cap; a refused upgrade comes back as its status and (bounded) body text.
 */
import { WebSocket } from "ws";
import { EgressError } from "./egress-error.ts";
import { toUpstreamFailure } from "./upstream-failure.ts";

/** An open upstream socket (the `ws` client). */
export type UpstreamSocket = WebSocket;

export interface UpstreamSocketCall {
  /** ws:// or wss:// URL, query included; never carries a key. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Time for the TCP, TLS and WebSocket handshakes together. */
  readonly handshakeMs: number;
  /** The largest message accepted from the upstream. */
  readonly maxMessageBytes: number;
  /** The caller's abort (a client that went away while the socket opened). */
  readonly signal: AbortSignal;
}

export type UpstreamSocketOpening =
  /** Open and paused: nothing is read until the caller resumes it. */
  | { readonly ok: true; readonly socket: UpstreamSocket }
  /** The upstream answered the upgrade with an HTTP response instead (a 401 for a bad key, say). */
  | {
      readonly ok: false;
      readonly status: number;
      readonly text: string;
      readonly retryAfter: string | null;
    };

/** The most of a refusal's body that is read (its message is all that is kept). */
const REFUSAL_TEXT_LIMIT = 64 * 1024;

export function openUpstreamSocket(call: UpstreamSocketCall): Promise<UpstreamSocketOpening> {
  return new Promise((resolve, reject) => {
    if (call.signal.aborted) {
      reject(call.signal.reason);
      return;
    }
    const socket = new WebSocket(call.url, {
      headers: call.headers,
      handshakeTimeout: call.handshakeMs,
      followRedirects: false,
      perMessageDeflate: false,
      maxPayload: call.maxMessageBytes,
    });
    let settled = false;
    const settle = () => {
      settled = true;
      call.signal.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      if (settled) return;
      settle();
      socket.terminate();
      reject(call.signal.reason);
    };
    call.signal.addEventListener("abort", onAbort, { once: true });
    socket.once("open", () => {
      if (settled) return;
      settle();
      // Paused at once: bytes that came with the handshake wait until the caller listens (and resumes).
      socket.pause();
      resolve({ ok: true, socket });
    });
    socket.on("error", (error) => {
      if (settled) return;
      settle();
      reject(
        /handshake has timed out/i.test(error.message)
          ? new EgressError("connect_timeout")
          : toUpstreamFailure(error),
      );
    });
    socket.once("unexpected-response", (request, response) => {
      if (settled) return;
      settle();
      const status = response.statusCode ?? 0;
      if (status >= 300 && status < 400) {
        request.destroy();
        reject(new EgressError("redirect_refused"));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = () => {
        request.destroy();
        const retryAfter = response.headers["retry-after"];
        resolve({
          ok: false,
          status,
          text: Buffer.concat(chunks).toString("utf8"),
          retryAfter: typeof retryAfter === "string" ? retryAfter : null,
        });
      };
      response.on("data", (chunk: Buffer) => {
        if (size >= REFUSAL_TEXT_LIMIT) return;
        chunks.push(chunk.subarray(0, REFUSAL_TEXT_LIMIT - size));
        size += chunk.length;
        if (size >= REFUSAL_TEXT_LIMIT) finish();
      });
      response.once("end", finish);
      response.once("error", finish);
    });
  });
}
