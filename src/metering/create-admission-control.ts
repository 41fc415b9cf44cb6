/**
 * @module metering/create-admission-control
 * Admission before the upstream call: rate limits for everyone (requests per minute, concurrent streams),
 * then, for operator-served calls only, an upper bound reserved on the plan's counters (a request;
 * estimated input plus max output tokens), its lease renewed while the call runs; settled to the reported
 * usage, or refunded, when the call ends.
 */
import { randomUUID } from "node:crypto";
import type { GatewayConfig } from "../config/config-schema.ts";
import type { PlanConfig } from "../config/plan-schema.ts";
import type { GatewayError } from "../errors/gateway-error.ts";
import type {
  CounterKey,
  CounterReservation,
  Meter,
  QuotaCounterRepository,
  ReserveResult,
  UsageSource,
} from "../store/store-types.ts";
import { quotaExceeded, quotaReserved, rateLimited, refusedLimit } from "./admission-errors.ts";
import { type ApplicableLimit, applicableLimits, type CallUsage, meterAmount } from "./plan-limits.ts";
import type { RateLimiter } from "./rate-limits/index.ts";
import { finite, requiredFit, reservedAmount, tokenBound } from "./token-bound.ts";

export interface AdmissionRequest {
  readonly userId: string;
  /** The user's plan (admin API or JWT claim); the default plan when null. */
  readonly plan: string | null;
  readonly feature: string | null;
  readonly source: UsageSource;
  readonly stream: boolean;
  /** The most output one choice may produce (`max_tokens` / `max_completion_tokens`), when the client said. */
  readonly maxOutputTokens: number | null;
  /** Choices generated (OpenAI chat's `n`), each up to `maxOutputTokens` or the plan's ceiling; 1 when absent. */
  readonly choices?: number;
  /** Input tokens estimated from the upstream request, reserved on input meters (none when absent); read only when a quota applies. */
  readonly estimateInputTokens?: () => number;
  /** The call generates tokens (chat, messages): without `maxOutputTokens`, the plan's ceiling is reserved. */
  readonly generatesOutput?: boolean;
  /** The client's request: a wait for other calls' reservations ends when it aborts. */
  readonly signal?: AbortSignal;
  /** False for a later attempt of the same request: its requests-per-minute hit was taken by the first. */
  readonly takesRateHit?: boolean;
}

export interface Admission {
  /**
   * Charges usage as a long call goes (a live transcription's audio): null while the plan's limits hold,
   * else the 402 to end the call with. BYOK-served calls are never limited (always null).
   */
  consume(usage: CallUsage): Promise<GatewayError | null>;
  /** Once, when the call ends: reconciles reservations with the reported usage, frees the stream slot. */
  settle(usage: CallUsage | null, succeeded: boolean): void;
  /**
   * The token bound admission holds for an operator-served call (input estimate plus output bound, what a
   * call cut by its client is charged); null for a BYOK-served one.
   */
  reservedUsage(): CallUsage | null;
}

export interface AdmissionObserver {
  onQuotaRejected?(meter: Meter): void;
  onRateLimited?(limit: "requests_per_minute" | "concurrent_streams" | "quota_reserved"): void;
  /** A counter update after the response failed (the store was down); the call itself was served. */
  onSettleFailed?(error: unknown): void;
  /** A running call's lease could not be renewed (the store was down); it is tried again at the next period. */
  onRenewFailed?(error: unknown): void;
}

/** A rate-limit hit to take with a reservation: the limiter's key, limit and window, and its log member. */
export interface RateHit {
  readonly key: string;
  readonly limit: number;
  readonly windowMs: number;
  readonly eventId: string;
}

/** A refused hit (nothing reserved), or the reservation's answer. */
export type HitAndReserveResult =
  | ReserveResult
  | { readonly ok: false; readonly reason: "rate"; readonly retryAfterSeconds: number };

/**
 * The rate-limit hit and the quota reservation in one atomic step on the shared store (one round trip), with
 * the semantics of the two apart; null when it cannot run now (its store is away): they are then taken apart.
 */
export type HitAndReserve = (
  hit: RateHit,
  id: string,
  reservations: readonly CounterReservation[],
  lease: { readonly now: number; readonly expiresAt: number },
) => Promise<HitAndReserveResult> | null;

export interface AdmissionControlOptions {
  readonly config: GatewayConfig;
  readonly counters: QuotaCounterRepository;
  readonly limiter: RateLimiter;
  /** Where `limiter` and `counters` share a store (Redis): an operator-served call's admission in one step. */
  readonly hitAndReserve?: HitAndReserve;
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
/** The admission of a call that holds nothing (no quota reserved, no stream slot, BYOK-served): shared. */
const NOTHING_HELD: Admission = Object.freeze({
  reservedUsage: () => null,
  consume: async () => null,
  settle: () => {},
});
/** A wait for reservations re-checks at least this often (other processes on the store settle too). */
const RESERVATION_POLL_MS = 200;
/**
 * A running call renews its leases this many times per lease (and on a `consume` that late), so a
 * call longer than the lease (a live session) keeps its hold; a process that dies stops renewing and
 * its lease ends within one lease.
 */
const RENEWALS_PER_LEASE = 3;

export function createAdmissionControl(options: AdmissionControlOptions): AdmissionControl {
  const { config, counters, limiter, observer = {} } = options;
  const now = options.now ?? Date.now;

  // One resolved plan per configured plan (the configuration is frozen): none made per request.
  const resolvedPlans = new Map<string, ResolvedPlan>();
  for (const name of Object.keys(config.plans))
    resolvedPlans.set(name, { name, config: config.plans[name]! });
  const fallback = config.defaultPlan;
  const fallbackPlan =
    fallback === undefined
      ? null
      : (resolvedPlans.get(fallback) ?? { name: fallback, config: config.plans[fallback]! });
  const resolvePlan = (plan: string | null): ResolvedPlan | null =>
    (plan !== null && resolvedPlans.get(plan)) || fallbackPlan;

  const settleFailed = (error: unknown) => observer.onSettleFailed?.(error);

  function quotaError(
    plan: ResolvedPlan,
    limits: readonly ApplicableLimit[],
    refusedKey: CounterKey,
    used: number,
    why: "max_tokens" | "reached",
  ): GatewayError {
    const refused = refusedLimit(limits, refusedKey);
    observer.onQuotaRejected?.(refused.key.meter);
    return quotaExceeded(plan.name, refused, used, why);
  }

  function reservedError(plan: ResolvedPlan, limits: readonly ApplicableLimit[], refused: ReserveResult) {
    observer.onRateLimited?.("quota_reserved");
    return quotaReserved(plan.name, limits, refused);
  }

  /** Callers waiting for a user's reservations to settle, woken by every settle of that user in this process. */
  const waiters = new Map<string, Set<() => void>>();
  const wake = (userId: string) => {
    const set = waiters.get(userId);
    if (set === undefined) return;
    waiters.delete(userId);
    for (const resume of set) resume();
  };
  function waitForSettle(userId: string, ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const set = waiters.get(userId) ?? new Set<() => void>();
      waiters.set(userId, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && waiters.get(userId) === set) waiters.delete(userId);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  /** The output a call without `max_tokens` may generate: the plan's ceiling, else the default one. */
  const ceilingOf = (plan: ResolvedPlan | null): number =>
    plan?.config.defaultMaxOutputTokens ?? config.metering.defaultMaxOutputTokens;

  /**
   * Reserves the call's bound on every counter at once. Refused by committed usage: 402. Refused only by
   * other calls' reservations: waits (bounded) for them to settle and tries again, then 429 `quota_reserved`.
   */
  async function reserveQuota(
    id: string,
    request: AdmissionRequest,
    plan: ResolvedPlan,
    limits: ApplicableLimit[],
    rateHit: RateHit | null,
  ): Promise<CounterReservation[]> {
    const bound = tokenBound(request, ceilingOf(plan));
    // The client's own bound must fit: every choice's max_tokens.
    const choices = request.choices ?? 1;
    const ownBound = request.maxOutputTokens === null ? null : request.maxOutputTokens * choices;
    const reservations: CounterReservation[] = limits.map((entry) => ({
      key: entry.key,
      amount: finite(reservedAmount(entry.key.meter, bound)),
      fit: finite(requiredFit(entry.key.meter, ownBound)),
      limit: entry.limit.limit,
    }));
    // The wait is real elapsed time (monotonic), whatever clock periods and leases are read from.
    const deadline = performance.now() + config.metering.reservationWaitMs;
    for (let first = true; ; first = false) {
      const at = now();
      // A shared store (PostgreSQL, Redis) reads only the lease's length from this and times it by its own
      // clock: a replica whose clock runs ahead never ends another replica's live hold.
      const lease = { now: at, expiresAt: at + config.metering.reservationLeaseMs };
      const result =
        first && rateHit !== null
          ? await hitThenReserve(rateHit, id, reservations, lease)
          : await counters.reserve(id, reservations, lease);
      if (result.ok) return reservations;
      if (result.reason === "spent") {
        const why = result.committed < result.limit ? "max_tokens" : "reached";
        throw quotaError(plan, limits, result.key, result.committed, why);
      }
      const left = deadline - performance.now();
      if (left <= 0 || request.signal?.aborted === true) throw reservedError(plan, limits, result);
      await waitForSettle(request.userId, Math.min(left, RESERVATION_POLL_MS), request.signal);
    }
  }

  /** Takes `rateHit` with the first reservation: in one step where the store can, else the hit first. */
  async function hitThenReserve(
    rateHit: RateHit,
    id: string,
    reservations: CounterReservation[],
    lease: { readonly now: number; readonly expiresAt: number },
  ): Promise<ReserveResult> {
    const together = options.hitAndReserve?.(rateHit, id, reservations, lease) ?? null;
    const result = await (together ?? takeHit(rateHit).then(() => counters.reserve(id, reservations, lease)));
    if (!result.ok && result.reason === "rate") throw refusedHit(result.retryAfterSeconds);
    return result as ReserveResult;
  }

  function refusedHit(retryAfterSeconds: number): GatewayError {
    observer.onRateLimited?.("requests_per_minute");
    return rateLimited("requests_per_minute", retryAfterSeconds);
  }

  /** The requests-per-minute hit alone: a refusal is the 429. */
  async function takeHit(rateHit: RateHit): Promise<void> {
    const decision = await limiter.hit(rateHit.key, rateHit.limit, rateHit.windowMs);
    if (!decision.ok) throw refusedHit(decision.retryAfterSeconds);
  }

  /**
   * Keeps a running call's reservations held: every lease / RENEWALS_PER_LEASE of real time (an unref'd
   * timer: it never keeps the process alive) and on a `consume` when as much of the clock has passed,
   * the leases are extended to a whole lease from `now`. Stops on settle, or once nothing is left to renew.
   */
  function renewLease(id: string, isSettled: () => boolean) {
    const leaseMs = config.metering.reservationLeaseMs;
    const periodMs = leaseMs / RENEWALS_PER_LEASE;
    let renewedAt = now();
    const renew = () => {
      const at = now();
      renewedAt = at;
      counters.renew(id, { now: at, expiresAt: at + leaseMs }).then(
        (count) => {
          // Settled meanwhile, or the lease already ended (the process stalled past it): nothing to keep.
          if (count === 0 || isSettled()) clearInterval(timer);
        },
        (error: unknown) => observer.onRenewFailed?.(error),
      );
    };
    const timer = setInterval(renew, periodMs);
    timer.unref();
    return {
      renewIfDue: () => {
        if (now() - renewedAt >= periodMs) renew();
      },
      stop: () => clearInterval(timer),
    };
  }

  return {
    resolvePlan,
    async admit(request) {
      const plan = resolvePlan(request.plan);
      const rpm = plan?.config.rateLimits?.requestsPerMinute ?? config.rateLimits.requestsPerMinute;
      const maxStreams = plan?.config.rateLimits?.concurrentStreams ?? config.rateLimits.concurrentStreams;
      const takesSlot = request.stream && maxStreams > 0;
      // Quotas bind operator-served calls only: BYOK-served usage is recorded, never limited.
      const limits =
        request.source === "operator" && plan !== null
          ? applicableLimits(plan.config, request.userId, request.feature, now())
          : [];
      // Only quota reservations (their lease, their settle, a rate hit taken with them) are kept under an
      // id: a call with no quota to reserve (BYOK-served) draws none.
      const reservationId = limits.length > 0 ? randomUUID() : "";
      const rateHit =
        rpm > 0 && request.takesRateHit !== false
          ? { key: `rpm:${request.userId}`, limit: rpm, windowMs: MINUTE_MS, eventId: reservationId }
          : null;
      // Without a stream slot between them, the hit goes with the reservation (one round trip on Redis).
      const hitWithReservation = rateHit !== null && limits.length > 0 && !takesSlot;
      if (rateHit !== null && !hitWithReservation) await takeHit(rateHit);
      let releaseStream = () => {};
      if (takesSlot) {
        const slot = await limiter.acquire(`streams:${request.userId}`, maxStreams);
        if (!slot.ok) {
          observer.onRateLimited?.("concurrent_streams");
          throw rateLimited("concurrent_streams", slot.retryAfterSeconds);
        }
        releaseStream = () => slot.release();
      }

      // Nothing reserved, no stream slot, not operator-served (a BYOK call): nothing to consume or settle.
      if (limits.length === 0 && !takesSlot && request.source !== "operator") return NOTHING_HELD;

      let reservations: CounterReservation[] = [];
      if (limits.length > 0 && plan !== null) {
        try {
          reservations = await reserveQuota(
            reservationId,
            request,
            plan,
            limits,
            hitWithReservation ? rateHit : null,
          );
        } catch (error) {
          releaseStream();
          throw error;
        }
      }

      // What `consume` committed on each counter so far (settled against the final usage).
      const consumed = reservations.map((entry) => ({ key: entry.key, amount: 0 }));
      let settled = false;
      const lease = reservations.some((entry) => entry.amount > 0)
        ? renewLease(reservationId, () => settled)
        : null;
      return {
        reservedUsage() {
          if (request.source !== "operator") return null;
          const bound = tokenBound(request, ceilingOf(plan));
          return { inputTokens: finite(bound.input), outputTokens: finite(bound.output), audioSeconds: 0 };
        },
        async consume(usage) {
          if (settled || plan === null) return null;
          lease?.renewIfDue();
          const step = consumed
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
          lease?.stop();
          releaseStream();
          if (consumed.length === 0) return;
          // The reservation is dropped and the actual usage committed in one step; a failed call
          // costs the operator nothing: its request is given back, and its tokens when none were reported.
          const settlements = consumed.map((entry) => {
            const { meter } = entry.key;
            const actual =
              meter === "requests" ? (succeeded ? 1 : 0) : usage === null ? 0 : meterAmount(meter, usage);
            return { key: entry.key, delta: actual - entry.amount };
          });
          counters
            .settle(reservationId, settlements)
            .catch(settleFailed)
            .finally(() => wake(request.userId));
        },
      };
    },
  };
}
