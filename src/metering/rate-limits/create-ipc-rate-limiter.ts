/**
 * @module metering/rate-limits/create-ipc-rate-limiter
 * A worker's rate limiter: every hit and slot is decided by the primary's one in-process limiter
 * (`create-rate-limiter-host.ts`), so limits are exact across the workers of a host. A primary that does
 * not answer in time is a 503 (`cluster_unavailable`), never a pass.
 */
import { randomUUID } from "node:crypto";
import type { IpcEndpoint } from "../../cluster/create-ipc-endpoint.ts";
import type { RateDecision, RateLimiter, SlotDecision } from "./rate-limiter.ts";

export const RATE_HIT = "limits.hit";
export const RATE_ACQUIRE = "limits.acquire";
export const RATE_RELEASE = "limits.release";

export interface IpcRateLimiterOptions {
  /** Which of the primary's limiters decides (`users`, `anonymous`): each has its own keys. */
  readonly limiter: string;
  /** Default 5000 ms. */
  readonly timeoutMs?: number;
}

function checkArguments(limit: number, what: string): void {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`${what} must be a positive integer`);
}

/** A decision from the channel; anything else is a broken peer. */
function parseDecision(value: unknown): RateDecision {
  const { ok, retryAfterSeconds } = (value ?? {}) as Record<string, unknown>;
  if (ok === true) return { ok: true };
  if (ok === false && typeof retryAfterSeconds === "number") return { ok: false, retryAfterSeconds };
  throw new TypeError("the primary answered a malformed rate decision");
}

export function createIpcRateLimiter(endpoint: IpcEndpoint, options: IpcRateLimiterOptions): RateLimiter {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const limiter = options.limiter;
  return {
    async hit(key, limit, windowMs) {
      checkArguments(limit, "limit");
      if (!Number.isFinite(windowMs) || windowMs <= 0) throw new RangeError("windowMs must be positive");
      return parseDecision(await endpoint.request(RATE_HIT, { limiter, key, limit, windowMs }, timeoutMs));
    },
    async acquire(key, max): Promise<SlotDecision> {
      checkArguments(max, "max");
      // The worker names the slot, so it can give it back even when the answer came too late.
      const slotId = randomUUID();
      const release = () => endpoint.notify(RATE_RELEASE, { slotId });
      let decision: RateDecision;
      try {
        decision = parseDecision(
          await endpoint.request(RATE_ACQUIRE, { limiter, key, max, slotId }, timeoutMs),
        );
      } catch (error) {
        release(); // taken after our time-out, or never: either way the primary forgets it
        throw error;
      }
      if (!decision.ok) return decision;
      let released = false;
      return {
        ok: true,
        release() {
          if (released) return;
          released = true;
          release();
        },
      };
    },
  };
}
