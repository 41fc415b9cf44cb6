/**
 * @module metering/create-admission-control
 * Admission before the upstream call: rate limits for everyone (requests per minute, concurrent streams),
 * then, for operator-served calls only, the plan's quotas charged exactly (tokens reserved from
 * `max_tokens`); settled against the reported usage when the call ends.
 */
import type { GatewayConfig } from "../config/config-schema.ts";
import type { PlanConfig } from "../config/plan-schema.ts";
import { GatewayError } from "../errors/gateway-error.ts";
import type {
  CounterCharge,
  CounterKey,
  Meter,
  QuotaCounterRepository,
  UsageSource,
} from "../store/store-types.ts";
import { type ApplicableLimit, applicableLimits, type CallUsage, meterAmount } from "./plan-limits.ts";
import type { RateLimiter } from "./rate-limits/index.ts";

export interface AdmissionRequest {
  readonly userId: string;
  /** The user's plan (admin API or JWT claim); the default plan when null. */
  readonly plan: string | null;
  readonly feature: string | null;
  readonly source: UsageSource;
  readonly stream: boolean;
  /** The most output the call may produce (`max_tokens` / `max_completion_tokens`), when the client said. */
  readonly maxOutputTokens: number | null;
}

export interface Admission {
  /**
   * Charges usage as a long call goes (a live transcription's audio): null while the plan's limits hold,
   * else the 402 to end the call with. BYOK-served calls are never limited (always null).
   */
  consume(usage: CallUsage): Promise<GatewayError | null>;
  /** Once, when the call ends: reconciles reservations with the reported usage, frees the stream slot. */
  settle(usage: CallUsage | null, succeeded: boolean): void;
}

export interface AdmissionObserver {
  onQuotaRejected?(meter: Meter): void;
  onRateLimited?(limit: "requests_per_minute" | "concurrent_streams"): void;
  /** A counter update after the response failed (the store was down); the call itself was served. */
  onSettleFailed?(error: unknown): void;
}

export interface AdmissionControlOptions {
  readonly config: GatewayConfig;
  readonly counters: QuotaCounterRepository;
  readonly limiter: RateLimiter;
  readonly observer?: AdmissionObserver;
  readonly now?: () => number;
}

export interface ResolvedPlan {
  readonly name: string;
  readonly config: PlanConfig;
}

export interface AdmissionControl {
  admit(request: AdmissionRequest): Promise<Admission>;
  /** The plan that applies to a user: theirs when it exists, else the default; null when none is configured. */
  resolvePlan(plan: string | null): ResolvedPlan | null;
}

const MINUTE_MS = 60_000;
/** A check with nothing to reserve still refuses a meter already at its limit. */
const AT_LIMIT = 1e-6;

/** What the call reserves on a meter before it runs: a request, and `max_tokens` on output meters. */
function reservation(meter: Meter, maxOutputTokens: number | null): number {
  if (meter === "requests") return 1;
  if (meter === "output_tokens" || meter === "tokens") return maxOutputTokens ?? 0;
  return 0;
}

/** Usage shown in messages and details: audio seconds are fractional. */
const round = (value: number) => Math.round(value * 1000) / 1000;

function rateLimited(
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

export function createAdmissionControl(options: AdmissionControlOptions): AdmissionControl {
  const { config, counters, limiter, observer = {} } = options;
  const now = options.now ?? Date.now;

  const resolvePlan = (plan: string | null): ResolvedPlan | null => {
    if (plan !== null && Object.hasOwn(config.plans, plan))
      return { name: plan, config: config.plans[plan]! };
    const fallback = config.defaultPlan;
    return fallback === undefined ? null : { name: fallback, config: config.plans[fallback]! };
  };

  const settleFailed = (error: unknown) => observer.onSettleFailed?.(error);

  /** The 402 for a refused charge, naming the limit, the usage and when it resets. */
  function quotaError(
    plan: ResolvedPlan,
    limits: readonly ApplicableLimit[],
    refusedKey: CounterKey,
    used: number,
    why: "max_tokens" | "reached",
  ): GatewayError {
    const refused =
      limits.find(
        (entry) =>
          entry.key.meter === refusedKey.meter &&
          entry.key.scope === refusedKey.scope &&
          entry.key.periodStart === refusedKey.periodStart,
      ) ?? limits[0]!;
    observer.onQuotaRejected?.(refused.key.meter);
    const wouldExceed = why === "max_tokens" && used < refused.limit.limit;
    return new GatewayError("quota_exceeded", {
      message:
        `The ${plan.name} plan's ${refused.limit.period === "day" ? "daily" : "monthly"} ${refused.key.meter} limit ` +
        `${wouldExceed ? "would be exceeded by this request's max_tokens" : "is reached"} ` +
        `(${round(used)} of ${refused.limit.limit}); it resets at ${new Date(refused.resetsAt).toISOString()}. ` +
        "Bring your own key to keep going.",
      code: refused.key.meter,
      details: {
        plan: plan.name,
        meter: refused.key.meter,
        scope: refused.scope,
        period: refused.limit.period,
        used: round(used),
        limit: refused.limit.limit,
        resets_at: new Date(refused.resetsAt).toISOString(),
      },
    });
  }

  async function chargeQuota(request: AdmissionRequest, plan: ResolvedPlan, limits: ApplicableLimit[]) {
    const charges: CounterCharge[] = limits.map((entry) => {
      const amount = reservation(entry.key.meter, request.maxOutputTokens);
      return {
        key: entry.key,
        amount,
        limit: amount === 0 ? entry.limit.limit - AT_LIMIT : entry.limit.limit,
      };
    });
    const result = await counters.tryCharge(charges);
    if (result.ok) return charges;
    throw quotaError(plan, limits, result.key, result.used, "max_tokens");
  }

  return {
    resolvePlan,
    async admit(request) {
      const plan = resolvePlan(request.plan);
      const rpm = plan?.config.rateLimits?.requestsPerMinute ?? config.rateLimits.requestsPerMinute;
      if (rpm > 0) {
        const decision = await limiter.hit(`rpm:${request.userId}`, rpm, MINUTE_MS);
        if (!decision.ok) {
          observer.onRateLimited?.("requests_per_minute");
          throw rateLimited("requests_per_minute", decision.retryAfterSeconds);
        }
      }
      let releaseStream = () => {};
      const maxStreams = plan?.config.rateLimits?.concurrentStreams ?? config.rateLimits.concurrentStreams;
      if (request.stream && maxStreams > 0) {
        const slot = await limiter.acquire(`streams:${request.userId}`, maxStreams);
        if (!slot.ok) {
          observer.onRateLimited?.("concurrent_streams");
          throw rateLimited("concurrent_streams", slot.retryAfterSeconds);
        }
        releaseStream = () => slot.release();
      }

      // Quotas bind operator-served calls only: BYOK-served usage is recorded, never limited.
      const limits =
        request.source === "operator" && plan !== null
          ? applicableLimits(plan.config, request.userId, request.feature, now())
          : [];
      let charges: CounterCharge[] = [];
      if (limits.length > 0 && plan !== null) {
        try {
          charges = await chargeQuota(request, plan, limits);
        } catch (error) {
          releaseStream();
          throw error;
        }
      }

      // What each counter holds for this call so far: the reservation, then what `consume` charged.
      const charged = charges.map((charge) => ({ key: charge.key, amount: charge.amount }));
      let settled = false;
      return {
        async consume(usage) {
          if (settled || plan === null) return null;
          const step = charged
            .map((entry) => ({ entry, amount: meterAmount(entry.key.meter, usage) }))
            .filter(({ entry, amount }) => amount > 0 && entry.key.meter !== "requests");
          if (step.length === 0) return null;
          const result = await counters.tryCharge(
            step.map(({ entry, amount }) => ({
              key: entry.key,
              amount,
              limit: limits.find((limit) => limit.key === entry.key)!.limit.limit,
            })),
          );
          if (!result.ok) return quotaError(plan, limits, result.key, result.used, "reached");
          for (const { entry, amount } of step) entry.amount += amount;
          return null;
        },
        settle(usage, succeeded) {
          if (settled) return;
          settled = true;
          releaseStream();
          for (const charge of charged) {
            const { meter } = charge.key;
            // A failed call costs the operator nothing: its request is given back.
            const actual =
              meter === "requests" ? (succeeded ? 1 : 0) : usage === null ? 0 : meterAmount(meter, usage);
            const delta = actual - charge.amount;
            if (delta !== 0) counters.adjust(charge.key, delta).catch(settleFailed);
          }
        },
      };
    },
  };
}
