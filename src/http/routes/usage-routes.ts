/**
 * @module http/routes/usage-routes
 * GET /v1/usage: the caller's limits this period (operator-served) and this month's usage split BYOK vs
 * operator and per feature. A recovery path: stale keys are stripped, never a reason to refuse.
 */
import type { FastifyInstance } from "fastify";
import type { Byok } from "../../library/create-byok.ts";
import "../fastify-types.ts";

export function registerUsageRoutes(app: FastifyInstance, byok: Byok): void {
  app.get(
    "/v1/usage",
    { config: { auth: "user", byok: "recovery", settingsToken: true } },
    async (request) => {
      const { userId, plan } = request.principal!;
      return byok.usage.report(userId, plan);
    },
  );
}
