/**
 * @module http/routes/health-routes
 * GET /healthz (the process is up) and GET /readyz (the store answers and we are not shutting down).
 */
import type { FastifyInstance } from "fastify";
import type { Byok } from "../../library/create-byok.ts";

export function registerHealthRoutes(app: FastifyInstance, byok: Byok, isClosing: () => boolean): void {
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (request, reply) => {
    if (isClosing()) return reply.status(503).send({ status: "closing" });
    try {
      await byok.store.ping();
      return { status: "ready" };
    } catch (error) {
      request.log.error({ err: error }, "store is not ready");
      return reply.status(503).send({ status: "store_unavailable" });
    }
  });
}
