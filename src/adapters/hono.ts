/**
 * @module adapters/hono
 * The Hono adapter (`byok-gateway/hono`): a middleware that guards the routes it is put on and runs the
 * rest of the chain inside the request context, and the BYOK endpoints as a Hono sub-app.
 */
import { Hono, type MiddlewareHandler } from "hono";
import {
  answerByokEndpoint,
  BYOK_ENDPOINTS,
  type Byok,
  type GuardOptions,
  guardRequest,
  type RequestContext,
  readJsonBody,
  runWithContext,
  withClientSignal,
  withResponseHeaders,
} from "../library/index.ts";

/** The variables the middleware sets: `c.get("byok")` is the request context (as `requireContext()`). */
export interface ByokHonoEnv {
  Variables: { byok: RequestContext };
}

/**
 * Authenticates and validates over `c.req.raw.headers`; refuses in OpenAI's error envelope, else runs
 * `await next()` inside the request context (AsyncLocalStorage must wrap it: Hono is fetch-based) and
 * adds X-BYOK-Status to the response. `app.use("/api/*", byokHono(byok))` guards only those routes.
 */
export function byokHono(byok: Byok, options: GuardOptions = {}): MiddlewareHandler<ByokHonoEnv> {
  return async (c, next) => {
    const outcome = await guardRequest(byok, c.req.raw.headers, options);
    if (!outcome.ok) return Response.json(outcome.body, { status: outcome.status, headers: outcome.headers });
    // The request's signal (aborted by the runtime when the client leaves) ends the request's model calls.
    const context = withClientSignal(outcome.context, c.req.raw.signal);
    c.set("byok", context);
    await runWithContext(context, () => next());
    c.res = withResponseHeaders(c.res, outcome.headers);
    return undefined;
  };
}

/**
 * The BYOK endpoints (enrollment, heartbeat, verify, route preview, usage) at the gateway's paths, as a
 * sub-app: `app.route("/api", byokHonoEndpoints(byok))` answers `/api/v1/byok/enrollment`.
 */
export function byokHonoEndpoints(byok: Byok): Hono {
  const { bodyLimitBytes, maxJsonDepth } = byok.config.server;
  const app = new Hono();
  for (const endpoint of BYOK_ENDPOINTS) {
    app.on(endpoint.method, endpoint.path, async (c) => {
      const request = c.req.raw;
      const answer = await answerByokEndpoint(byok, endpoint, request.headers, () =>
        readJsonBody(request.body, {
          contentType: request.headers.get("content-type"),
          contentLength: request.headers.get("content-length"),
          maxBytes: bodyLimitBytes,
          maxDepth: maxJsonDepth,
        }),
      );
      return Response.json(answer.body, { status: answer.status, headers: answer.headers });
    });
  }
  return app;
}
