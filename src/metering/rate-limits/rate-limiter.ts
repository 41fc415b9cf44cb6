/**
 * @module metering/rate-limits/rate-limiter
 * The rate-limiter contract (requests per window, concurrent slots) that every implementation honours.
 */

/** A rate decision: pass, or refuse with the whole seconds after which the next event would pass (≥ 1). */
export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

/** A held concurrency slot; `release()` gives it back and is idempotent. */
export interface RateSlot {
  readonly ok: true;
  release(): void;
}

export type SlotDecision = RateSlot | { readonly ok: false; readonly retryAfterSeconds: number };

/**
 * Limits events per key. Keys are opaque strings built by callers (a user id, `ip:<address>`): they are
 * never logged, and an implementation that stores them elsewhere (Redis) hashes or prefixes them itself.
 * Asynchronous so that a shared implementation (Redis, one atomic script per call) can replace the
 * in-process one without touching callers. Arguments out of range are programmer errors (RangeError).
 */
export interface RateLimiter {
  /**
   * Counts one event for `key` against a sliding log: passes when fewer than `limit` events passed in
   * the last `windowMs`; a refused event is not counted.
   */
  hit(key: string, limit: number, windowMs: number): Promise<RateDecision>;
  /** Takes one of `max` concurrent slots for `key`; `release()` returns it and is idempotent. */
  acquire(key: string, max: number): Promise<SlotDecision>;
}
