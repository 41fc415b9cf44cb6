/**
 * @module http/routes/health-routes
 * GET /healthz (the process is up), GET /readyz (the store answers, not shutting down; Redis reported, not
 * required: BYOK-served calls go on without it), GET /metrics (Prometheus).
 */
import type { FastifyInstance } from "fastify";
import type { Byok } from "../../library/create-byok.ts";

export function registerHealthRoutes(app: FastifyInstance, byok: Byok, isClosing: () => boolean): void {
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/metrics", async (_request, reply) =>
    reply.type(byok.metrics.registry.contentType).send(await byok.metrics.registry.metrics()),
  );
  app.get("/readyz", async (request, reply) => {
    if (isClosing()) return reply.status(503).send({ status: "closing" });
    try {
      await byok.store.ping();
      const redis = byok.redisStatus();
      return redis === "none" ? { status: "ready" } : { status: "ready", redis };
    } catch (error) {
      request.log.error({ err: error }, "store is not ready");
      return reply.status(503).send({ status: "store_unavailable" });
    }
  });
}
