/**
 * @module server
 * The `byok-gateway/server` entry: the Fastify gateway built on a Byok core.
 */
export { createGatewayServer, type GatewayServerOptions } from "./http/index.ts";
