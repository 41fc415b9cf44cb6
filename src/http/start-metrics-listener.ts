/**
 * @module http/start-metrics-listener
 * `/metrics` on a listener of its own (`metrics.port`): a second, minimal Fastify server that serves only
 * GET /metrics (behind `metrics.token` when set), so the gateway's public port never exposes it.
 */
import type { AddressInfo } from "node:net";
import Fastify, { type FastifyReply } from "fastify";
import { type ErrorType, errorCatalog } from "../errors/error-catalog.ts";
import type { Byok } from "../library/create-byok.ts";
import { createMetricsTokenCheck } from "./check-metrics-token.ts";
import { keepDefaultValidation, lazySchemaController } from "./lazy-schema-compilers.ts";

export interface MetricsListener {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

function sendError(reply: FastifyReply, type: ErrorType): FastifyReply {
  const { status, message } = errorCatalog[type];
  return reply.code(status).send({ error: { message, type, param: null, code: null } });
}

export async function startMetricsListener(byok: Byok, port: number, host: string): Promise<MetricsListener> {
  const { registry } = byok.metrics;
  const mayRead = createMetricsTokenCheck(byok.config.metrics.token);
  const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } = byok.config.server;
  const app = Fastify({
    logger: false,
    bodyLimit: 1024,
    keepAliveTimeout: keepAliveTimeoutMs,
    requestTimeout: requestTimeoutMs,
    http: { headersTimeout: headersTimeoutMs },
    schemaController: lazySchemaController(),
  });
  keepDefaultValidation(app);
  app.get("/metrics", async (request, reply) => {
    if (!mayRead(request.headers.authorization)) {
      return sendError(reply.header("www-authenticate", "Bearer"), "invalid_metrics_token");
    }
    return reply.type(registry.contentType).send(await registry.metrics());
  });
  app.setNotFoundHandler((_request, reply) => sendError(reply, "not_found"));
  app.setErrorHandler((error, _request, reply) => {
    byok.logger.error({ err: error }, "metrics scrape failed");
    return sendError(reply, "internal_error");
  });
  await app.listen({ port, host });
  const address = app.server.address() as AddressInfo;
  byok.logger.info({ host: address.address, port: address.port }, "metrics listening");
  return { address, close: () => app.close() };
}
