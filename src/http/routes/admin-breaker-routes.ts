/**
 * @module http/routes/admin-breaker-routes
 * /admin/breakers: every circuit breaker's state, and a reset that closes one upstream's breaker (on every
 * replica when the breakers are shared through Redis). Registered only with an admin token.
 */
import type { FastifyInstance } from "fastify";
import { GatewayError } from "../../errors/gateway-error.ts";
import type { Byok } from "../../library/create-byok.ts";

const admin = { auth: "admin" } as const;
/** `<connection>|<source>`: a connection's name (or a provider's id), then whose key. */
const UPSTREAM = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\|(byok|operator)$/;

function readUpstream(body: unknown): string {
  const upstream = (body as { upstream?: unknown } | null)?.upstream;
  if (typeof upstream !== "string" || !UPSTREAM.test(upstream)) {
    throw new GatewayError("invalid_request", {
      message:
        'The body must be `{"upstream": "<connection>|byok"}` or `{"upstream": "<connection>|operator"}`.',
      param: "upstream",
    });
  }
  return upstream;
}

export function registerAdminBreakerRoutes(app: FastifyInstance, byok: Byok): void {
  app.get("/admin/breakers", { config: admin }, async () => ({
    data: byok.breakers.snapshot().map((breaker) => ({
      ...breaker,
      retryAt: breaker.retryAt === null ? null : new Date(breaker.retryAt).toISOString(),
    })),
  }));
  app.post("/admin/breakers/reset", { config: admin }, async (request) => {
    const reset = await byok.breakers.reset(readUpstream(request.body));
    return { ...reset, state: "closed" };
  });
}
