/**
 * @module metering/rate-limits/create-local-rate-limiter
 * The in-process rate limiter: an exact sliding log per key and slot counters, bounded in memory. Exact
 * within one process only; several replicas need the shared (Redis) implementation of the same contract.
 */
import { LRUCache } from "lru-cache";
import type { RateDecision, RateLimiter, SlotDecision } from "./rate-limiter.ts";

export interface LocalRateLimiterOptions {
  /**
   * Milliseconds; `performance.now` (monotonic) by default. A wall clock works too: a step back never
   * makes a refusal outlast one window.
   */
  readonly now?: () => number;
  /**
   * Keys whose windows are remembered; beyond it the least recently used is forgotten (and gets a fresh
   * window). Worst-case memory is about `maxKeys × limit × 8` bytes. Default 100 000.
   */
  readonly maxKeys?: number;
}

export interface LocalRateLimiter extends RateLimiter {
  /** Keys currently held: windows remembered plus keys holding slots (for tests and metrics). */
  readonly size: number;
}

/** A stream's end cannot be predicted: a refused slot suggests a retry after this long. */
const SLOT_RETRY_AFTER_SECONDS = 1;
/** Idle windows are swept at most this often (amortized over hits). */
const SWEEP_INTERVAL_MS = 60_000;
const DEFAULT_MAX_KEYS = 100_000;

/** Times of the events that passed, oldest first from `head`; idle (empty) once `expiresAt` is reached. */
interface EventLog {
  times: number[];
  head: number;
  expiresAt: number;
}

export function createLocalRateLimiter(options: LocalRateLimiterOptions = {}): LocalRateLimiter {
  const now = options.now ?? (() => performance.now());
  const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1)
    throw new RangeError("maxKeys must be a positive integer");

  // Bounded by count through maxSize (each entry counts 1), not `max`, which allocates every slot up front.
  const logs = new LRUCache<string, EventLog>({ maxSize: maxKeys, sizeCalculation: () => 1 });
  // Only keys holding a slot are here, so this is bounded by the open streams themselves.
  const slots = new Map<string, { active: number }>();
  let nextSweepAt = now() + SWEEP_INTERVAL_MS;

  function sweepIdle(at: number): void {
    if (at < nextSweepAt) return;
    nextSweepAt = at + SWEEP_INTERVAL_MS;
    const idle: string[] = [];
    for (const [key, log] of logs.entries()) if (log.expiresAt <= at) idle.push(key);
    for (const key of idle) logs.delete(key);
  }

  // Everything below runs synchronously between awaits, which is what makes it exact in one process.
  function hitNow(key: string, limit: number, windowMs: number): RateDecision {
    const at = now();
    sweepIdle(at);
    let log = logs.get(key);
    if (log === undefined) {
      log = { times: [], head: 0, expiresAt: 0 };
      logs.set(key, log);
    }
    const { times } = log;
    // A wall clock stepped back: events "in the future" count as now, so none outlives one window.
    for (let index = times.length - 1; index >= log.head && times[index]! > at; index--) times[index] = at;
    const horizon = at - windowMs;
    while (log.head < times.length && times[log.head]! <= horizon) log.head++;
    if (log.head === times.length) {
      times.length = 0;
      log.head = 0;
    } else if (log.head > 32 && log.head * 2 > times.length) {
      times.splice(0, log.head);
      log.head = 0;
    }
    if (times.length - log.head >= limit) {
      // The oldest of the last `limit` events leaves the window first; the next event passes then.
      const oldest = times[times.length - limit]!;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((oldest + windowMs - at) / 1000)) };
    }
    times.push(at);
    log.expiresAt = at + windowMs;
    return { ok: true };
  }

  function acquireNow(key: string, max: number): SlotDecision {
    let entry = slots.get(key);
    if (entry === undefined) {
      entry = { active: 0 };
      slots.set(key, entry);
    }
    if (entry.active >= max) return { ok: false, retryAfterSeconds: SLOT_RETRY_AFTER_SECONDS };
    entry.active++;
    const held = entry;
    let released = false;
    return {
      ok: true,
      release() {
        if (released) return;
        released = true;
        held.active--;
        if (held.active === 0 && slots.get(key) === held) slots.delete(key);
      },
    };
  }

  return {
    async hit(key, limit, windowMs) {
      if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError("limit must be a positive integer");
      if (!Number.isFinite(windowMs) || windowMs <= 0) throw new RangeError("windowMs must be positive");
      return hitNow(key, limit, windowMs);
    },
    async acquire(key, max) {
      if (!Number.isSafeInteger(max) || max < 1) throw new RangeError("max must be a positive integer");
      return acquireNow(key, max);
    },
    get size() {
      return logs.size + slots.size;
    },
  };
}
