/**
 * @module http/routes/enrollment-routes
 * PUT/GET/DELETE /v1/byok/enrollment, POST /v1/byok/heartbeat, POST /v1/byok/verify and GET /v1/byok/routes:
 * recovery paths that strip stale keys (verify reads the keys as presented), open to settings tokens.
 * Their logic is the library's endpoint table, which apps mount in their own servers too.
 */
import type { FastifyInstance } from "fastify";
import { BYOK_ENDPOINTS, type ByokEndpoint } from "../../library/byok-endpoints.ts";
import type { Byok } from "../../library/create-byok.ts";
import { noByokContext } from "../../validation/byok-context.ts";
import "../fastify-types.ts";

/** Registers one endpoint of the table on the gateway: a user route, its keys checked by the guards. */
export function registerByokEndpoint(app: FastifyInstance, byok: Byok, endpoint: ByokEndpoint): void {
  app.route({
    method: endpoint.method,
    url: endpoint.path,
    config: { auth: "user", byok: endpoint.keys, settingsToken: true },
    handler: (request) => {
      const principal = request.principal!;
      return endpoint.run(byok, {
        context: { principal, byok: request.byok ?? noByokContext(principal.userId) },
        headers: request.headers,
        body: request.body,
      });
    },
  });
}

export function registerEnrollmentRoutes(app: FastifyInstance, byok: Byok): void {
  for (const endpoint of BYOK_ENDPOINTS) {
    if (endpoint.path.startsWith("/v1/byok/")) registerByokEndpoint(app, byok, endpoint);
  }
}
