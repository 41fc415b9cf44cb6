/**
 * @module adapters/fastify
 * The Fastify adapter (`byok-gateway/fastify`): a plugin that guards the routes of the context it is
 * registered in, the same hooks for chosen routes, and the BYOK endpoints as a plugin.
 */
import type {
  FastifyError,
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
  preHandlerHookHandler,
} from "fastify";
import { GatewayError } from "../errors/gateway-error.ts";
import {
  BYOK_ENDPOINTS,
  type Byok,
  type ByokEndpoint,
  clientGoneSignal,
  type ErrorAnswer,
  type GuardOptions,
  type GuardOutcome,
  guardByokEndpoint,
  guardRequest,
  readJsonBody,
  runByokEndpoint,
  runWithContext,
  toErrorAnswer,
  withClientSignal,
} from "../library/index.ts";

export interface ByokFastifyOptions extends GuardOptions {
  readonly byok: Byok;
}

export interface ByokFastifyHooks {
  /** Authenticates and validates before the body is read; refuses in OpenAI's error envelope. */
  readonly onRequest: onRequestHookHandler;
  /** Runs the rest of the request (the handler) inside its request context. */
  readonly preHandler: preHandlerHookHandler;
}

function send(
  reply: FastifyReply,
  answer: ErrorAnswer | { status: number; headers: Readonly<Record<string, string>>; body: unknown },
) {
  return reply.code(answer.status).headers(answer.headers).send(answer.body);
}

/** Where a guarded request's outcome waits between its hooks (never on the request object itself). */
const guarded = new WeakMap<FastifyRequest, Extract<GuardOutcome, { ok: true }>>();

/** Re-enters the request's context for the handler: it runs inside `done()`, so inside the context. */
const enterContext: preHandlerHookHandler = (request, _reply, done) => {
  const outcome = guarded.get(request);
  if (outcome === undefined) done();
  else runWithContext(outcome.context, () => done());
};

/**
 * The guard as route hooks, for chosen routes: `app.get("/x", { ...createByokHooks(byok) }, handler)`.
 * Inside the handler `requireContext()` is the request's principal and validated keys.
 */
export function createByokHooks(byok: Byok, options: GuardOptions = {}): ByokFastifyHooks {
  const onRequest: onRequestHookHandler = async (request, reply) => {
    // The mounted endpoints guard themselves (recovery paths): a guard over their scope leaves them be.
    if ((request.routeOptions.config as { byokEndpoint?: unknown }).byokEndpoint === true) return;
    const outcome = await guardRequest(byok, request.headers, options);
    if (!outcome.ok) return send(reply, outcome);
    // The reply closing before it finished (the client left) ends the request's model calls.
    guarded.set(request, {
      ...outcome,
      context: withClientSignal(outcome.context, clientGoneSignal(reply.raw)),
    });
    reply.headers(outcome.headers);
  };
  return { onRequest, preHandler: enterContext };
}

/**
 * Guards every route of the context it is registered in and that context's children (it is not
 * encapsulated): register it inside `app.register(async (scope) => { ... })` to guard only those routes.
 */
export const byokFastify: FastifyPluginAsync<ByokFastifyOptions> = Object.assign(
  async (app: FastifyInstance, options: ByokFastifyOptions) => {
    const { byok, ...guardOptions } = options;
    const hooks = createByokHooks(byok, guardOptions);
    app.addHook("onRequest", hooks.onRequest);
    app.addHook("preHandler", hooks.preHandler);
  },
  { [Symbol.for("skip-override")]: true, [Symbol.for("fastify.display-name")]: "byok-gateway" },
);

/** Fastify's own refusals (body limits, media types, JSON) as the gateway answers them. */
function fromFastifyError(error: FastifyError): GatewayError {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new GatewayError("payload_too_large");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new GatewayError("unsupported_media_type");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new GatewayError("invalid_json", {
        message: "The request body is empty; a JSON body is required.",
      });
  }
  const status = error.statusCode ?? 500;
  return new GatewayError(status >= 400 && status < 500 ? "invalid_request" : "internal_error");
}

function registerEndpoint(app: FastifyInstance, byok: Byok, endpoint: ByokEndpoint): void {
  const outcomes = new WeakMap<FastifyRequest, Extract<GuardOutcome, { ok: true }>>();
  app.route({
    method: endpoint.method,
    url: endpoint.path,
    // Every body (a text one too, by Fastify's own parser) is bounded by the gateway's limit, not the app's.
    bodyLimit: byok.config.server.bodyLimitBytes,
    config: { byokEndpoint: true },
    onRequest: async (request, reply) => {
      const outcome = await guardByokEndpoint(byok, endpoint, request.headers);
      if (!outcome.ok) return send(reply, outcome);
      outcomes.set(request, outcome);
      reply.headers(outcome.headers); // on a refused body too, as the gateway does
    },
    handler: async (request, reply) => {
      const outcome = outcomes.get(request)!;
      const answer = await runByokEndpoint(
        byok,
        endpoint,
        outcome,
        request.headers,
        async () => request.body,
      );
      return send(reply, answer);
    },
  });
}

export interface ByokFastifyEndpointsOptions {
  readonly byok: Byok;
}

/**
 * The BYOK endpoints (enrollment, heartbeat, verify, route preview, usage) at the gateway's paths under
 * the registration's `prefix`: `app.register(byokFastifyEndpoints, { byok, prefix: "/api" })`. Bodies are
 * read as the gateway reads them (size limit, JSON depth, prototype poisoning refused).
 */
export const byokFastifyEndpoints: FastifyPluginAsync<ByokFastifyEndpointsOptions> = async (app, options) => {
  const { byok } = options;
  const { bodyLimitBytes, maxJsonDepth } = byok.config.server;
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser(
    "application/json",
    { parseAs: "string", bodyLimit: bodyLimitBytes },
    (request, text, done) => {
      readJsonBody([text as string], {
        contentType: request.headers["content-type"],
        maxBytes: bodyLimitBytes,
        maxDepth: maxJsonDepth,
      }).then(
        (body) => done(null, body),
        (error: Error) => done(error, undefined),
      );
    },
  );
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const answer = toErrorAnswer(error) ?? toErrorAnswer(fromFastifyError(error));
    return send(reply, answer!);
  });
  for (const endpoint of BYOK_ENDPOINTS) registerEndpoint(app, byok, endpoint);
};
