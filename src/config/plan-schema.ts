/**
 * @module config/plan-schema
 * The shape of `plans`, `defaultPlan`, `rateLimits` and `metering` (docs/plans-and-quotas.md).
 */
import { z } from "zod";
import { FEATURE_NAME } from "./feature-schema.ts";

export const PLAN_METERS = ["requests", "input_tokens", "output_tokens", "tokens", "audio_seconds"] as const;
export const PLAN_PERIODS = ["day", "month"] as const;

const limitSchema = z.strictObject({
  meter: z.enum(PLAN_METERS),
  period: z.enum(PLAN_PERIODS),
  limit: z.number().min(0),
  /** A feature group: the limit counts only these features; every feature when omitted. */
  features: z.array(z.string().regex(FEATURE_NAME)).min(1).optional(),
  /** The group's name in usage reports and errors (default: the features joined with `+`). */
  group: z.string().regex(FEATURE_NAME).optional(),
});

const rateLimitsSchema = z.strictObject({
  /** Model calls per user per minute, BYOK included (0 = unlimited). */
  requestsPerMinute: z.number().int().min(0).optional(),
  /** Streams open at once per user, BYOK included (0 = unlimited). */
  concurrentStreams: z.number().int().min(0).optional(),
});

export const planSchema = z.strictObject({
  description: z.string().max(500).optional(),
  /** Limits on operator-served usage only; BYOK-served usage is recorded and never limited. */
  limits: z.array(limitSchema).default([]),
  /** Overrides the global rate limits for users on this plan. */
  rateLimits: rateLimitsSchema.optional(),
  /** Overrides `metering.defaultMaxOutputTokens` for users on this plan. */
  defaultMaxOutputTokens: z.number().int().min(0).max(10_000_000).optional(),
});

export const plansSchema = z
  .record(z.string().regex(FEATURE_NAME, "plan names are letters, digits and _.:-"), planSchema)
  .default({});

export const globalRateLimitsSchema = z
  .strictObject({
    requestsPerMinute: z.number().int().min(0).default(600),
    concurrentStreams: z.number().int().min(0).default(20),
    /** Unauthenticated requests per client IP per minute (failed authentication included). */
    anonymousRequestsPerMinute: z.number().int().min(0).default(120),
    /**
     * With Redis: a concurrency slot is a lease of this long, renewed every third of it while held, so a
     * replica that dies gives its slots back within it.
     */
    slotLeaseMs: z.number().int().min(1000).max(3_600_000).default(30_000),
  })
  .prefault({});

export const meteringSchema = z
  .strictObject({
    /** Record every served call (the usage endpoints read these); quotas and rate limits work either way. */
    enabled: z.boolean().default(true),
    /** Usage records are written in batches at most this often (and on shutdown). */
    flushIntervalMs: z.number().int().min(10).max(60_000).default(1000),
    maxBatch: z.number().int().min(1).max(100_000).default(500),
    /** Records held while the store fails before the oldest are dropped (and counted). */
    maxQueued: z.number().int().min(100).max(10_000_000).default(100_000),
    /**
     * Output tokens a chat call without `max_tokens` / `max_completion_tokens` reserves on token meters
     * before it runs (reconciled to the reported usage after).
     */
    defaultMaxOutputTokens: z.number().int().min(0).max(10_000_000).default(4096),
    /**
     * How long a call refused only by other calls' in-flight reservations waits for them to settle
     * before answering `429 rate_limited` (`code: quota_reserved`); 0 answers at once.
     */
    reservationWaitMs: z.number().int().min(0).max(60_000).default(5000),
    /**
     * How long a reservation holds quota if its call never settles (its process died); keep it above
     * the longest upstream call (`upstream.timeouts.totalMs`, default 600 000).
     */
    reservationLeaseMs: z.number().int().min(1000).max(86_400_000).default(900_000),
    /**
     * Input tokens reserved per media part of a chat request (an image, audio or file part; Anthropic
     * image and document blocks) on top of the JSON-size estimate: a URL or file id costs far more
     * than its bytes. 1600 is about the most one image costs on Claude and above OpenAI's high-detail
     * image of common sizes.
     */
    mediaPartInputTokens: z.number().int().min(0).max(1_000_000).default(1600),
    /**
     * Usage records older than this many days are deleted (every hour, in batches); absent: kept for ever.
     * Quotas never read them (their counters do), only the usage endpoints.
     */
    retentionDays: z.number().int().min(1).max(36_500).optional(),
  })
  .prefault({});

export type PlanConfig = z.output<typeof planSchema>;
export type PlanLimitConfig = z.output<typeof limitSchema>;
export type RateLimitsConfig = z.output<typeof globalRateLimitsSchema>;
