/**
 * @module http/create-gateway-server
 * Builds the Fastify gateway on a Byok core: request ids, guards, the error envelope and every route.
 */
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type RouteOptions,
} from "fastify";
import { GatewayError } from "../errors/gateway-error.ts";
import type { Byok } from "../library/create-byok.ts";
import { redactedPath } from "../telemetry/index.ts";
import { toOpenAiErrorBody } from "../wire/openai/openai-error-body.ts";
import { CUT_GRACE_MS, resetConnection } from "./close-after-cut.ts";
import { keepDefaultValidation, lazySchemaController } from "./lazy-schema-compilers.ts";
import { createClientErrorHandler } from "./plugins/client-error-envelope.ts";
import { connectionTimeoutOptions, registerConnectionTimeouts } from "./plugins/connection-timeouts.ts";
import { registerCors } from "./plugins/cors.ts";
import { registerInFlightCount } from "./plugins/count-in-flight.ts";
import { registerErrorEnvelope } from "./plugins/error-envelope.ts";
import { registerJsonIntake } from "./plugins/json-intake.ts";
import { registerLazyRequestLoggers } from "./plugins/lazy-request-loggers.ts";
import { registerRequestGuards } from "./plugins/request-guards.ts";
import { registerAdminBreakerRoutes } from "./routes/admin-breaker-routes.ts";
import { registerAdminSettingsLinkRoutes } from "./routes/admin-settings-link-routes.ts";
import { registerAdminUsageRoutes } from "./routes/admin-usage-routes.ts";
import { registerAdminUserRoutes } from "./routes/admin-user-routes.ts";
import { registerChatCompletionsRoute } from "./routes/chat-completions-route.ts";
import { registerEmbeddingsRoute } from "./routes/embeddings-route.ts";
import { registerEnrollmentRoutes } from "./routes/enrollment-routes.ts";
import { registerHealthRoutes } from "./routes/health-routes.ts";
import { registerListenRoutes } from "./routes/listen-routes.ts";
import { registerMessagesRoutes } from "./routes/messages-route.ts";
import { registerModelsRoute } from "./routes/models-route.ts";
import { registerOpenApiRoute } from "./routes/openapi-route.ts";
import { registerResponsesRoute } from "./routes/responses-route.ts";
import { abortCallOf } from "./routes/send-pipeline-response.ts";
import { registerSettingsPageRoutes } from "./routes/settings-page-routes.ts";
import { registerUsageRoutes } from "./routes/usage-routes.ts";
import { type MetricsListener, startMetricsListener } from "./start-metrics-listener.ts";
import { createWriteStallResponse } from "./write-stall-response.ts";

export interface GatewayServerOptions {
  /** Extra routes (tests register probes here); they get the same guards and envelope. */
  readonly routes?: (app: FastifyInstance) => void;
  /** Sees every route as it is registered (the OpenAPI test lists them here). */
  readonly onRoute?: (route: RouteOptions) => void;
  /** Where the settings page's built files are; the package's `dist/client/` by default. */
  readonly clientDir?: string;
  /** Hears the address of `/metrics`' own listener once it listens (only with `metrics.port`). */
  readonly onMetricsListening?: (address: AddressInfo) => void;
}

/** The client island's build output, from src/http/ and from dist/http/ alike. */
const DEFAULT_CLIENT_DIR = fileURLToPath(new URL("../../dist/client/", import.meta.url));

export async function createGatewayServer(
  byok: Byok,
  options: GatewayServerOptions = {},
): Promise<FastifyInstance> {
  let closing = false;
  const timeouts = connectionTimeoutOptions(byok.config.server);
  const limitMs = byok.config.server.writeStallTimeoutMs;
  // A client that stopped reading: its call ends as if it left (the upstream released at once), its
  // connection is reset (the kernel drops what it holds for it), and one line says why (no URL query).
  const ServerResponse = createWriteStallResponse({
    limitMs,
    onStall(response, waitingBytes) {
      abortCallOf(response);
      resetConnection(response);
      const request = response.req;
      byok.logger.warn(
        {
          method: request.method,
          path: redactedPath(request.url, request.headers),
          waitingBytes,
          limitMs,
        },
        "write stall: the client took none of the response's waiting bytes in time; connection reset",
      );
    },
  });
  const app = Fastify({
    loggerInstance: byok.logger as FastifyBaseLogger,
    bodyLimit: byok.config.server.bodyLimitBytes,
    trustProxy: byok.config.server.trustProxy,
    requestIdHeader: "x-request-id",
    // A random UUID per request: an ascending id would tell any client a worker's request count and restarts.
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    // Requests the HTTP parser rejects answer the documented envelope too (never their raw bytes logged).
    clientErrorHandler: createClientErrorHandler(byok.logger),
    ...timeouts,
    http: { ...timeouts.http, ServerResponse } as typeof timeouts.http,
    routerOptions: { ignoreTrailingSlash: true },
    // A URL the router cannot decode (a malformed escape) answers the documented envelope, never echoing it.
    frameworkErrors: (_error, _request, reply) => {
      const error = new GatewayError("invalid_request", {
        message: "The request's URL holds a malformed escape.",
      });
      (reply as unknown as FastifyReply).status(400).send(toOpenAiErrorBody(error));
    },
    schemaController: lazySchemaController(),
  });
  keepDefaultValidation(app);
  registerLazyRequestLoggers(app);
  // Graceful close: new requests get 503; in-flight requests (streams included) may finish until
  // `server.shutdownTimeoutMs`; then every call still open is cut (a stream ends with a
  // `service_unavailable`/`shutting_down` error event in its dialect, a pending answer is a 503) and, a
  // moment later, any connection still open is closed. Once nothing is in flight, every connection still
  // open is closed, including keep-alive sockets that never sent a request.
  let deadline: NodeJS.Timeout | undefined;
  const closeLeftovers = () => {
    if (closing && inFlight.total() === 0) {
      clearTimeout(deadline);
      app.server.closeAllConnections();
    }
  };
  const cutAtDeadline = () => {
    const count = byok.pipeline.openCalls.cutAll("shutting_down");
    byok.logger.warn(
      { count, timeoutMs: byok.config.server.shutdownTimeoutMs },
      "shutdown deadline reached: calls in flight cut",
    );
    // The cut's grace (http/close-after-cut.ts), then every connection still open is closed.
    setTimeout(() => app.server.closeAllConnections(), CUT_GRACE_MS).unref();
  };
  const inFlight = registerInFlightCount(app, closeLeftovers);
  app.addHook("onClose", async () => {
    closing = true;
  });
  app.addHook("preClose", async () => {
    closing = true;
    deadline = setTimeout(cutAtDeadline, byok.config.server.shutdownTimeoutMs);
    deadline.unref();
    setImmediate(closeLeftovers); // after Fastify stops accepting
  });

  if (options.onRoute) app.addHook("onRoute", options.onRoute);
  registerConnectionTimeouts(app, inFlight);
  registerErrorEnvelope(app);
  registerJsonIntake(app, byok.config.server.maxJsonDepth);
  await registerCors(app, byok.config.server.corsOrigins);
  registerRequestGuards(app, byok);
  registerHealthRoutes(app, byok, () => closing);
  registerEnrollmentRoutes(app, byok);
  registerChatCompletionsRoute(app, byok);
  registerResponsesRoute(app, byok);
  registerEmbeddingsRoute(app, byok);
  registerMessagesRoutes(app, byok);
  registerModelsRoute(app, byok);
  registerListenRoutes(app, byok);
  registerUsageRoutes(app, byok);
  registerSettingsPageRoutes(app, options.clientDir ?? DEFAULT_CLIENT_DIR);
  registerOpenApiRoute(app);
  if (byok.config.adminToken) {
    registerAdminUserRoutes(app, byok);
    registerAdminUsageRoutes(app, byok);
    registerAdminSettingsLinkRoutes(app, byok);
    registerAdminBreakerRoutes(app, byok);
  }
  options.routes?.(app);
  // /metrics on its own listener: bound now (a taken port fails the start), closed with the gateway.
  let metricsListener: MetricsListener | undefined;
  app.addHook("onClose", async () => metricsListener?.close());
  await app.ready();
  const { port: metricsPort, host: metricsHost = byok.config.server.host } = byok.config.metrics;
  if (metricsPort !== undefined) {
    try {
      metricsListener = await startMetricsListener(byok, metricsPort, metricsHost);
    } catch (error) {
      await app.close();
      throw error;
    }
    options.onMetricsListening?.(metricsListener.address);
  }
  return app;
}
