/**
 * @module config/resilience-schema
 * The `resilience` settings: the circuit breakers per upstream (docs/features-and-routing.md, "Circuit
 * breakers"); local to each process, shared by every replica when `redis.url` is set.
 */
import { z } from "zod";

export const breakersSchema = z
  .strictObject({
    /** Off: every upstream is always tried (no breaker state is kept). */
    enabled: z.boolean().default(true),
    /** Consecutive failures of an upstream (any success resets the count) that open its breaker. */
    failureThreshold: z.number().int().min(1).max(10_000).default(5),
    /** How long an open breaker skips its upstream before a half-open probe may go. */
    openMs: z.number().int().min(10).max(3_600_000).default(30_000),
    /** Probes a half-open breaker lets through at a time (across the fleet with Redis, one per replica). */
    halfOpenProbes: z.number().int().min(1).max(100).default(1),
  })
  .prefault({});

export const resilienceSchema = z.strictObject({ breakers: breakersSchema }).prefault({});

export type BreakersConfig = z.output<typeof breakersSchema>;
export type ResilienceConfig = z.output<typeof resilienceSchema>;
