export { createGatewayServer, type GatewayServerOptions } from "./create-gateway-server.ts";
export type { RouteAuth, RouteByok } from "./fastify-types.ts";
