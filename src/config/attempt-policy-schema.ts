/**
 * @module config/attempt-policy-schema
 * How a request survives a failing upstream (docs/features-and-routing.md, "When an upstream fails"): the
 * fallback and retry settings, as `routing.fallback` / `routing.retry` defaults and per-feature overrides.
 */
import { z } from "zod";

const fallbackFields = {
  /** Whether a failed attempt moves on to the next route this user may use (off: one route only, retries aside). */
  enabled: z.boolean(),
  /**
   * Whether a user who holds a key for some route may be served on the operator's key when every one of
   * their own routes failed (needs `operatorFallback` too). Off by default: a BYOK request never moves
   * silently onto the operator's key.
   */
  byokToOperator: z.boolean(),
  /** Attempts one request may make in all (retries and fallbacks together). */
  maxAttempts: z.number().int().min(1).max(20),
  /** No new attempt starts once this much time passed since the request arrived. */
  budgetMs: z.number().int().min(1).max(600_000),
};

const retryFields = {
  /** Extra attempts on the same route after a connection failure, a short 429 (BYOK) or a 502/503/529. */
  maxRetries: z.number().int().min(0).max(10),
  /** The first retry's backoff ceiling; doubled per retry, capped at `maxDelayMs`, with full jitter. */
  baseDelayMs: z.number().int().min(0).max(60_000),
  maxDelayMs: z.number().int().min(0).max(60_000),
  /** A 429 or 503 whose Retry-After is longer than this is not retried on the same route. */
  maxRetryAfterMs: z.number().int().min(0).max(60_000),
};

export const FALLBACK_DEFAULTS = { enabled: true, byokToOperator: false, maxAttempts: 4, budgetMs: 15_000 };
export const RETRY_DEFAULTS = { maxRetries: 1, baseDelayMs: 250, maxDelayMs: 2_000, maxRetryAfterMs: 2_000 };

/** `routing.fallback`: the defaults every feature starts from. */
export const fallbackSchema = z
  .strictObject({
    enabled: fallbackFields.enabled.default(FALLBACK_DEFAULTS.enabled),
    byokToOperator: fallbackFields.byokToOperator.default(FALLBACK_DEFAULTS.byokToOperator),
    maxAttempts: fallbackFields.maxAttempts.default(FALLBACK_DEFAULTS.maxAttempts),
    budgetMs: fallbackFields.budgetMs.default(FALLBACK_DEFAULTS.budgetMs),
  })
  .prefault({});

/** `routing.retry`: the defaults every feature starts from. */
export const retrySchema = z
  .strictObject({
    maxRetries: retryFields.maxRetries.default(RETRY_DEFAULTS.maxRetries),
    baseDelayMs: retryFields.baseDelayMs.default(RETRY_DEFAULTS.baseDelayMs),
    maxDelayMs: retryFields.maxDelayMs.default(RETRY_DEFAULTS.maxDelayMs),
    maxRetryAfterMs: retryFields.maxRetryAfterMs.default(RETRY_DEFAULTS.maxRetryAfterMs),
  })
  .prefault({});

/** `features.<f>.fallback`: any of the fields, the rest from `routing.fallback`. */
export const featureFallbackSchema = z.strictObject(fallbackFields).partial().optional();
/** `features.<f>.retry`: any of the fields, the rest from `routing.retry`. */
export const featureRetrySchema = z.strictObject(retryFields).partial().optional();

export type FallbackConfig = z.output<typeof fallbackSchema>;
export type RetryConfig = z.output<typeof retrySchema>;
