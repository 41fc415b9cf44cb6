/**
 * @module The guarded path's limits (connect, headers, body idle and total time; decoded response
 * size; pool) with their defaults, checked once at construction.
 */
import { EgressConfigError } from "./egress-config-error.ts";

export type TrustedCertificates = string | Buffer | readonly (string | Buffer)[];

export interface EgressLimits {
  /** TCP + TLS establishment, resolution included. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** From request sent to response headers received. Default 120 s (non-streamed completions are slow). */
  readonly headersTimeoutMs?: number;
  /** Longest gap between two body chunks. Default 60 s. */
  readonly bodyIdleTimeoutMs?: number;
  /** The whole exchange, until the body is consumed. Default 600 s. */
  readonly totalTimeoutMs?: number;
  /** Response size cap counted on decoded (decompressed) bytes. Default 32 MiB. */
  readonly maxResponseBytes?: number;
  /** Sockets per origin. Default 64. */
  readonly maxConnectionsPerOrigin?: number;
  /** Idle keep-alive before a pooled socket closes. Default 4 s. */
  readonly keepAliveTimeoutMs?: number;
  /** Certificate authorities to trust instead of the system store (on-premises CAs, tests). */
  readonly ca?: TrustedCertificates;
}

export interface ResolvedEgressLimits {
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyIdleTimeoutMs: number;
  readonly totalTimeoutMs: number;
  readonly maxResponseBytes: number;
  readonly maxConnectionsPerOrigin: number;
  readonly keepAliveTimeoutMs: number;
  readonly ca: TrustedCertificates | undefined;
}

export const defaultEgressLimits: Omit<ResolvedEgressLimits, "ca"> = Object.freeze({
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 120_000,
  bodyIdleTimeoutMs: 60_000,
  totalTimeoutMs: 600_000,
  maxResponseBytes: 32 * 1024 * 1024,
  maxConnectionsPerOrigin: 64,
  keepAliveTimeoutMs: 4_000,
});

/** Fills defaults; throws EgressConfigError listing every invalid field. */
export function parseEgressLimits(limits: EgressLimits = {}): ResolvedEgressLimits {
  const problems: string[] = [];
  const read = (field: keyof typeof defaultEgressLimits): number => {
    const value: unknown = limits[field];
    if (value === undefined) return defaultEgressLimits[field];
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
      problems.push(`${field} must be a positive integer`);
    }
    return value as number;
  };
  const resolved: ResolvedEgressLimits = {
    connectTimeoutMs: read("connectTimeoutMs"),
    headersTimeoutMs: read("headersTimeoutMs"),
    bodyIdleTimeoutMs: read("bodyIdleTimeoutMs"),
    totalTimeoutMs: read("totalTimeoutMs"),
    maxResponseBytes: read("maxResponseBytes"),
    maxConnectionsPerOrigin: read("maxConnectionsPerOrigin"),
    keepAliveTimeoutMs: read("keepAliveTimeoutMs"),
    ca: limits.ca,
  };
  if (problems.length > 0) throw new EgressConfigError(problems);
  return Object.freeze(resolved);
}
