/**
 * @module http/routes/usage-routes
 * GET /v1/usage: the caller's limits this period (operator-served) and this month's usage split BYOK vs
 * operator and per feature. A recovery path: stale keys are stripped, never a reason to refuse.
 */
import type { FastifyInstance } from "fastify";
import { BYOK_ENDPOINTS } from "../../library/byok-endpoints.ts";
import type { Byok } from "../../library/create-byok.ts";
import { registerByokEndpoint } from "./enrollment-routes.ts";

export function registerUsageRoutes(app: FastifyInstance, byok: Byok): void {
  for (const endpoint of BYOK_ENDPOINTS) {
    if (endpoint.path === "/v1/usage") registerByokEndpoint(app, byok, endpoint);
  }
}
