/**
 * @module metering/rate-limits
 * Requests per window and concurrent slots per opaque key: the contract and its in-process implementation.
 */
export {
  createLocalRateLimiter,
  type LocalRateLimiter,
  type LocalRateLimiterOptions,
} from "./create-local-rate-limiter.ts";
export type { RateDecision, RateLimiter, RateSlot, SlotDecision } from "./rate-limiter.ts";
