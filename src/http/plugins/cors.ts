/**
 * @module http/plugins/cors
 * Cross-origin browser access for the operator's listed origins only (`server.corsOrigins`): an app's page
 * that embeds the settings component or the client kit calls the gateway from its own origin.
 */
import fastifyCors from "@fastify/cors";
import type { FastifyInstance } from "fastify";

/** What a browser page may read from an answer besides the CORS-safelisted headers. */
const EXPOSED_HEADERS = ["x-byok-route", "x-byok-status", "x-request-id", "retry-after"];

/**
 * Registered before the guards, so that a refusal (401, 403, 429) carries the CORS headers too and the
 * page can read it. No cookies are involved (bearer tokens only), so credentials stay off.
 */
export async function registerCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  await app.register(fastifyCors, {
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: ["GET", "POST", "PUT", "DELETE"],
    // The page's own request headers (Authorization, Content-Type, X-BYOK-*, an SDK's own) are reflected
    // for listed origins only.
    exposedHeaders: EXPOSED_HEADERS,
    credentials: false,
    maxAge: 600,
    strictPreflight: true,
  });
}
