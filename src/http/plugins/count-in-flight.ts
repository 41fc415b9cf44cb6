/**
 * @module http/plugins/count-in-flight
 * Requests being answered, in all and per connection, counted by one hook: graceful close waits for the
 * total, and the idle-socket time-out spares a connection that is still answering one. The same hook,
 * the first every request meets, echoes the request id (`X-Request-Id`) on whatever answers it.
 */
import type { ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";

const COUNTED_SOCKET = Symbol("countedSocket");
type CountedResponse = ServerResponse & { [COUNTED_SOCKET]?: object };

export interface InFlight {
  /** Requests being answered on the whole server. */
  total(): number;
  /** Requests being answered on one connection. */
  on(socket: object): number;
}

/**
 * Counts every request from its arrival until its response closes; `onSettled` runs after each. The
 * request id is set on the reply here rather than in an onSend hook (one hook fewer on every request):
 * Fastify keeps a reply's headers through its error handler, so error answers carry it too.
 */
export function registerInFlightCount(app: FastifyInstance, onSettled: () => void): InFlight {
  let total = 0;
  const bySocket = new WeakMap<object, number>();
  // One listener shared by every response (no closure and no `once` wrapper per request): the socket is
  // kept on the response, since a response may be detached from it by the time it closes.
  function settle(this: ServerResponse): void {
    const socket = (this as CountedResponse)[COUNTED_SOCKET]!;
    total--;
    bySocket.set(socket, (bySocket.get(socket) ?? 1) - 1);
    onSettled();
  }
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    const socket = request.raw.socket;
    total++;
    bySocket.set(socket, (bySocket.get(socket) ?? 0) + 1);
    const response = reply.raw as CountedResponse;
    response[COUNTED_SOCKET] = socket;
    response.on("close", settle);
    done();
  });
  return { total: () => total, on: (socket) => bySocket.get(socket) ?? 0 };
}
