/**
 * @module pipeline/attempt-failure
 * What an attempt's failure means to the attempt loop, tagged where it is known (the send step sees the
 * status or the transport's reason): whether the next attempt may go, and whether it counts against the
 * upstream's breaker. An error without a tag is final (a request, contract or guard error).
 */
import { isEgressError, toUpstreamFailure } from "../egress/index.ts";
import type { GatewayError } from "../errors/gateway-error.ts";

export interface AttemptFailure {
  /** What `X-BYOK-Route`'s `failed=` list says: the HTTP status, or the transport's reason code. */
  readonly reason: string;
  /** The provider's status; null for a transport failure (no answer). */
  readonly status: number | null;
  /** A short Retry-After (delta-seconds) in ms; null when absent or a date. */
  readonly retryAfterMs: number | null;
  /** Whether the next route may be tried; false: the answer is final (another 4xx, a BYOK 401/403). */
  readonly movesOn: boolean;
  /**
   * Whether it counts against the upstream's circuit breaker: only what says the upstream itself is down
   * (connect/TLS failures, 502/503/504/529, a streamed call's headers time-out), never what one request may
   * provoke (500, 4xx, 429, a non-streamed generation's time-out), so one user cannot open it for everyone.
   */
  readonly countsAgainstUpstream: boolean;
}

const failures = new WeakMap<GatewayError, AttemptFailure>();

/** The transport reasons that mean the request never got an answer (the body was not read by anyone). */
const TRANSPORT_REASONS: ReadonlySet<string> = new Set([
  "connect_failed",
  "connect_timeout",
  "tls_failed",
  "request_failed",
  "headers_timeout",
  "total_timeout",
]);

const UPSTREAM_FAULTS: ReadonlySet<number> = new Set([500, 502, 503, 504, 529]);

/** Statuses that say the upstream is down or overloaded, whatever the request (a 500 may be the request's). */
const UPSTREAM_DOWN: ReadonlySet<number> = new Set([502, 503, 504, 529]);

/** Transport reasons that say the upstream cannot be reached, whatever the request. */
const UNREACHABLE: ReadonlySet<string> = new Set(["connect_failed", "connect_timeout", "tls_failed"]);

export function tagAttemptFailure(error: GatewayError, failure: AttemptFailure): GatewayError {
  failures.set(error, failure);
  return error;
}

export function attemptFailureOf(error: unknown): AttemptFailure | undefined {
  return typeof error === "object" && error !== null ? failures.get(error as GatewayError) : undefined;
}

/**
 * A transport failure before any answer (its egress reason), or undefined when the reason is not one (a guard
 * refusal). `streamed`: a stream's headers come before generation, so its headers time-out is a stall.
 */
export function transportFailure(reason: string, streamed = false): AttemptFailure | undefined {
  if (!TRANSPORT_REASONS.has(reason)) return undefined;
  const countsAgainstUpstream = UNREACHABLE.has(reason) || (streamed && reason === "headers_timeout");
  return { reason, status: null, retryAfterMs: null, movesOn: true, countsAgainstUpstream };
}

/** An error answer: 429, an operator key's 401 and 5xx/529 move on; any other status is final. */
export function statusFailure(
  status: number,
  source: "byok" | "operator",
  retryAfter: string | null,
): AttemptFailure {
  // A 403 is the request's answer (moderation, a forbidden model): final, the key stays in its pool.
  const refusedOperatorKey = status === 401 && source === "operator";
  const upstreamFault = UPSTREAM_FAULTS.has(status);
  return {
    reason: String(status),
    status,
    retryAfterMs: parseRetryAfterMs(retryAfter),
    movesOn: status === 429 || refusedOperatorKey || upstreamFault,
    countsAgainstUpstream: UPSTREAM_DOWN.has(status),
  };
}

/** Retry-After as delta-seconds (what a short wait is expressed in); a date or anything else: null. */
function parseRetryAfterMs(value: string | null): number | null {
  if (value === null || !/^\d{1,6}$/.test(value.trim())) return null;
  return Number(value.trim()) * 1000;
}

/** A send that got no answer (not the client's abort, not a cut): what the attempt loop may move on from. */
export function transportFailureOf(
  error: unknown,
  signal: AbortSignal,
  streamed: boolean,
): AttemptFailure | undefined {
  if (signal.aborted) return undefined;
  return transportFailure((isEgressError(error) ? error : toUpstreamFailure(error)).reason, streamed);
}
