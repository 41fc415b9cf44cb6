/**
 * @module test/support/probe-routes
 * Routes a test registers on the real server to observe guards until model routes exist:
 * `/test/probe` enforces BYOK validation and answers what the handler saw (never raw keys).
 */
import type { FastifyInstance } from "fastify";

export interface ProbeAnswer {
  readonly userId: string;
  readonly status: string;
  readonly providers: string[];
  /** Fingerprints of the accepted keys, so tests can tell whose key arrived without echoing it. */
  readonly fingerprints: Record<string, string>;
  readonly custom: { baseUrl: string; model: string | null } | null;
}

export function registerProbeRoutes(app: FastifyInstance, beforeAnswer?: () => Promise<void>): void {
  app.post("/test/probe", { config: { auth: "user", byok: "enforce" } }, async (request) => {
    await beforeAnswer?.();
    const byok = request.byok!;
    return {
      userId: byok.userId,
      status: byok.status,
      providers: Object.keys(byok.keys),
      fingerprints: Object.fromEntries(
        Object.entries(byok.keys).map(([provider, key]) => [provider, key.fingerprint()]),
      ),
      custom: byok.custom,
    } satisfies ProbeAnswer;
  });
}
