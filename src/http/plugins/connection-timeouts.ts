/**
 * @module http/plugins/connection-timeouts
 * Connection hygiene (`server.*` in docs/configuration.md): Node's headers, request and keep-alive time-outs,
 * and an idle-socket time-out that closes only connections with no request in flight (a response, a stream
 * included, is bounded by the egress idle and total limits; a live socket by its own heartbeat).
 */
import type { FastifyInstance, FastifyServerOptions } from "fastify";
import type { GatewayConfig } from "../../config/config-schema.ts";
import type { InFlight } from "./count-in-flight.ts";

type ServerSettings = GatewayConfig["server"];

/**
 * How often Node checks the headers and request time-outs (its default is every 30 s, which would let a
 * slowloris client hold a connection that much longer): a quarter of the headers time-out, 50 ms to 5 s.
 */
function checkingIntervalOf(settings: ServerSettings): number {
  return Math.min(5_000, Math.max(50, Math.floor(settings.headersTimeoutMs / 4)));
}

/** The Fastify options that set the server's time-outs. */
export function connectionTimeoutOptions(settings: ServerSettings): Pick<
  FastifyServerOptions,
  "connectionTimeout" | "keepAliveTimeout" | "requestTimeout"
> & {
  readonly http: { readonly headersTimeout: number; readonly connectionsCheckingInterval: number };
} {
  return {
    connectionTimeout: settings.connectionTimeoutMs,
    keepAliveTimeout: settings.keepAliveTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    http: {
      headersTimeout: settings.headersTimeoutMs,
      connectionsCheckingInterval: checkingIntervalOf(settings),
    },
  };
}

/**
 * An idle socket is closed unless a request on it is still being answered: a quiet stream (a model
 * thinking) is left to the egress limits. A keep-alive socket's idle time-out lands here too.
 */
export function registerConnectionTimeouts(app: FastifyInstance, inFlight: InFlight): void {
  app.server.on("timeout", (socket) => {
    if (inFlight.on(socket) === 0) socket.destroy();
  });
}
