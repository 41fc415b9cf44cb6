/**
 * @module http/routes/health-routes
 * GET /healthz (the process is up), GET /readyz (the store answers, not shutting down; Redis reported, not
 * required: BYOK-served calls go on without it), GET /metrics (Prometheus; behind `metrics.token` when set,
 * and not here at all when `metrics.port` gives it a listener of its own).
 */
import type { FastifyInstance } from "fastify";
import { GatewayError } from "../../errors/gateway-error.ts";
import type { Byok } from "../../library/create-byok.ts";
import { createMetricsTokenCheck } from "../check-metrics-token.ts";

export function registerHealthRoutes(app: FastifyInstance, byok: Byok, isClosing: () => boolean): void {
  app.get("/healthz", async () => ({ status: "ok" }));
  if (byok.config.metrics.port === undefined) {
    const mayRead = createMetricsTokenCheck(byok.config.metrics.token);
    app.get("/metrics", async (request, reply) => {
      if (!mayRead(request.headers.authorization)) throw new GatewayError("invalid_metrics_token");
      return reply.type(byok.metrics.registry.contentType).send(await byok.metrics.registry.metrics());
    });
  }
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
