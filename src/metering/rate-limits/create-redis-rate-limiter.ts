/**
 * @module metering/rate-limits/create-redis-rate-limiter
 * The rate limiter shared by every replica: one atomic Redis script per call, slots held as leases renewed
 * while held. While Redis cannot answer it degrades to a local limiter, and comes back when Redis does.
 */
import { randomBytes } from "node:crypto";
import type { RedisRateOperations } from "../../store/redis/create-redis-rate-operations.ts";
import type { RateLimiter, SlotDecision } from "./rate-limiter.ts";

export interface RedisRateLimiterOptions {
  readonly operations: RedisRateOperations;
  /** Used while Redis cannot be reached (exact within this process only). */
  readonly fallback: RateLimiter;
  /** Whether the Redis connection is up now: when down, calls go to the fallback without a round trip. */
  readonly isUp: () => boolean;
  /** A held slot's lease; renewed every third of it while held. */
  readonly slotLeaseMs: number;
  /** Called once per transition: `true` when calls start going to the fallback, `false` when they stop. */
  readonly onDegraded?: (degraded: boolean) => void;
}

/** A stream's end cannot be predicted: a refused slot suggests a retry after this long (as the local one). */
const SLOT_RETRY_AFTER_SECONDS = 1;

export interface RedisRateLimiter extends RateLimiter {
  readonly degraded: boolean;
}

export function createRedisRateLimiter(options: RedisRateLimiterOptions): RedisRateLimiter {
  const { operations, fallback, slotLeaseMs } = options;
  const instance = randomBytes(6).toString("base64url");
  let sequence = 0;
  const nextId = () => `${instance}.${++sequence}`;
  let degraded = false;
  const setDegraded = (next: boolean) => {
    if (next === degraded) return;
    degraded = next;
    options.onDegraded?.(next);
  };

  /** Runs `shared` on Redis, or `local` when Redis is down or fails to answer (and says so once). */
  async function either<T>(shared: () => Promise<T>, local: () => Promise<T>): Promise<T> {
    if (!options.isUp()) {
      setDegraded(true);
      return local();
    }
    let result: T;
    try {
      result = await shared();
    } catch {
      setDegraded(true);
      return local();
    }
    setDegraded(false);
    return result;
  }

  function holdSlot(key: string, slotId: string): SlotDecision {
    let released = false;
    const renew = () => {
      operations.renewSlot(key, slotLeaseMs, slotId).then(
        (alive) => {
          if (!alive) clearInterval(timer); // the lease ended (a long stall): the slot is gone
        },
        () => {}, // Redis away: try again next time; the lease ends on its own if it stays away
      );
    };
    const timer = setInterval(renew, slotLeaseMs / 3);
    timer.unref();
    return {
      ok: true,
      release() {
        if (released) return;
        released = true;
        clearInterval(timer);
        // Sent at once (commands keep their order on the connection); a failure leaves the lease to end.
        operations.releaseSlot(key, slotId).catch(() => {});
      },
    };
  }

  return {
    async hit(key, limit, windowMs) {
      if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError("limit must be a positive integer");
      if (!Number.isFinite(windowMs) || windowMs <= 0) throw new RangeError("windowMs must be positive");
      return either(
        async () => {
          const wait = await operations.hit(key, limit, windowMs, nextId());
          return wait === 0 ? { ok: true } : { ok: false, retryAfterSeconds: wait };
        },
        () => fallback.hit(key, limit, windowMs),
      );
    },
    async acquire(key, max) {
      if (!Number.isSafeInteger(max) || max < 1) throw new RangeError("max must be a positive integer");
      return either(
        async (): Promise<SlotDecision> => {
          const slotId = nextId();
          let taken: boolean;
          try {
            taken = await operations.takeSlot(key, max, slotLeaseMs, slotId);
          } catch (error) {
            // A take whose answer was lost may still have run: give the slot back (after it, on the same
            // connection) rather than let it hold until its lease ends.
            operations.releaseSlot(key, slotId).catch(() => {});
            throw error;
          }
          return taken ? holdSlot(key, slotId) : { ok: false, retryAfterSeconds: SLOT_RETRY_AFTER_SECONDS };
        },
        () => fallback.acquire(key, max),
      );
    },
    get degraded() {
      return degraded;
    },
  };
}
