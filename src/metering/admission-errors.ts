/**
 * @module metering/admission-errors
 * The refusals admission answers with: 429 `rate_limited` (a rate limit, or the plan held by calls in
 * flight) and 402 `quota_exceeded` naming the limit, the usage and when it resets.
 */
import { GatewayError } from "../errors/gateway-error.ts";
import type { CounterKey, ReserveResult } from "../store/store-types.ts";
import type { ApplicableLimit } from "./plan-limits.ts";
import { roundMeterAmount } from "./round-meter-amount.ts";

/** `Retry-After` of a refusal by in-flight reservations. */
const RESERVED_RETRY_AFTER_SECONDS = 1;

/** Usage shown in messages and details: audio seconds are fractional. */
const round = roundMeterAmount;

export function rateLimited(
  code: "requests_per_minute" | "concurrent_streams",
  retryAfterSeconds: number,
): GatewayError {
  const what = code === "requests_per_minute" ? "requests per minute" : "concurrent streams";
  return new GatewayError("rate_limited", {
    message: `Too many ${what} for this user; retry after ${retryAfterSeconds} s.`,
    code,
    headers: { "retry-after": String(retryAfterSeconds) },
  });
}

/** The applicable limit a refusal names (the first when none matches). */
export function refusedLimit(limits: readonly ApplicableLimit[], refusedKey: CounterKey): ApplicableLimit {
  return (
    limits.find(
      (entry) =>
        entry.key.meter === refusedKey.meter &&
        entry.key.scope === refusedKey.scope &&
        entry.key.periodStart === refusedKey.periodStart,
    ) ?? limits[0]!
  );
}

/** The 402 for a refused charge on `refused`'s counter. */
export function quotaExceeded(
  planName: string,
  refused: ApplicableLimit,
  used: number,
  why: "max_tokens" | "reached",
): GatewayError {
  const wouldExceed = why === "max_tokens" && used < refused.limit.limit;
  return new GatewayError("quota_exceeded", {
    message:
      `The ${planName} plan's ${refused.limit.period === "day" ? "daily" : "monthly"} ${refused.key.meter} limit ` +
      `${wouldExceed ? "would be exceeded by this request's max_tokens" : "is reached"} ` +
      `(${round(used)} of ${refused.limit.limit}); it resets at ${new Date(refused.resetsAt).toISOString()}. ` +
      "Bring your own key to keep going.",
    code: refused.key.meter,
    details: {
      plan: planName,
      meter: refused.key.meter,
      scope: refused.scope,
      period: refused.limit.period,
      used: round(used),
      limit: refused.limit.limit,
      resets_at: new Date(refused.resetsAt).toISOString(),
    },
  });
}

/** A 429 for a call that fits what is spent but not what other calls hold in flight. */
export function quotaReserved(
  planName: string,
  limits: readonly ApplicableLimit[],
  refused: ReserveResult,
): GatewayError {
  const limit = limits.find((entry) => !refused.ok && entry.key === refused.key) ?? limits[0]!;
  const held = refused.ok ? 0 : refused.reserved;
  const used = refused.ok ? 0 : refused.committed;
  return new GatewayError("rate_limited", {
    message:
      `The ${planName} plan's ${limit.limit.period === "day" ? "daily" : "monthly"} ${limit.key.meter} limit ` +
      `is held by this user's calls in flight (${round(used)} used and ${round(held)} reserved of ` +
      `${limit.limit.limit}); retry after ${RESERVED_RETRY_AFTER_SECONDS} s.`,
    code: "quota_reserved",
    headers: { "retry-after": String(RESERVED_RETRY_AFTER_SECONDS) },
  });
}
