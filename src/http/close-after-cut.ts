/**
 * @module http/close-after-cut
 * After a cut (revocation, an enrollment change, the shutdown deadline), a short grace for the client to get
 * the call's last event or close frame; a client still holding its socket then (it stopped reading) loses it.
 */
import type { ServerResponse } from "node:http";
import type { LiveSocket } from "../pipeline/index.ts";

/** How long a cut call's client has to read what the gateway wrote last before its socket is closed. */
export const CUT_GRACE_MS = 1_000;

const CLOSED = 3; // WebSocket.CLOSED

/**
 * Resets the connection (TCP RST) so the kernel drops what it still holds for a client that reads nothing;
 * a socket that is not plain TCP (TLS, a Unix socket) is destroyed.
 */
export function resetConnection(response: ServerResponse): void {
  const socket = response.socket;
  try {
    if (socket !== null && !socket.destroyed) socket.resetAndDestroy();
  } catch {
    // not a plain TCP socket: destroyed below
  }
  response.destroy();
}

/**
 * Resets the response's connection unless the response finished within the grace: a reading client gets
 * the stream's error event (or the error answer) as before; one that stopped reading cannot hold the socket.
 */
export function closeResponseAfterCut(response: ServerResponse): void {
  if (response.writableFinished || response.destroyed) return;
  const timer = setTimeout(() => {
    if (!response.writableFinished) resetConnection(response);
  }, CUT_GRACE_MS);
  timer.unref();
  response.once("close", () => clearTimeout(timer));
}

/**
 * Terminates a live socket the cut closed that has not closed within the grace: a client that reads no more
 * never answers the close frame (`ws` would otherwise hold its socket for 30 s).
 */
export function terminateAfterCut(client: LiveSocket): void {
  if (client.readyState === CLOSED) return;
  const timer = setTimeout(() => {
    if (client.readyState !== CLOSED) client.terminate();
  }, CUT_GRACE_MS);
  timer.unref();
  client.on("close", () => clearTimeout(timer));
}
