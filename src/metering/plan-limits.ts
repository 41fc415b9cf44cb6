/**
 * @module metering/plan-limits
 * Which of a plan's limits apply to a call (its feature group), the counter each one charges, and
 * what the call reserves on it before the upstream call and settles after.
 */
import type { PlanConfig, PlanLimitConfig } from "../config/plan-schema.ts";
import type { CounterKey, Meter } from "../store/store-types.ts";
import { periodWindow } from "./period-window.ts";

export interface ApplicableLimit {
  readonly limit: PlanLimitConfig;
  readonly key: CounterKey;
  /** When the window resets (ms since the epoch). */
  readonly resetsAt: number;
  /** The group's name in reports: `*` for the whole plan. */
  readonly scope: string;
}

/** A limit's scope: `*`, or its group's name (the features joined with `+` unless named). */
export function limitScope(limit: PlanLimitConfig): string {
  if (limit.features === undefined) return "*";
  return limit.group ?? [...limit.features].sort().join("+");
}

export function applicableLimits(
  plan: PlanConfig,
  userId: string,
  feature: string | null,
  now: number,
  options: { readonly allGroups?: boolean } = {},
): ApplicableLimit[] {
  return plan.limits
    .filter(
      (limit) =>
        options.allGroups === true ||
        limit.features === undefined ||
        (feature !== null && limit.features.includes(feature)),
    )
    .map((limit) => {
      const window = periodWindow(limit.period, now);
      const scope = limitScope(limit);
      return {
        limit,
        scope,
        resetsAt: window.end,
        key: { userId, meter: limit.meter as Meter, scope, periodStart: window.start },
      };
    });
}

export interface CallUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly audioSeconds: number;
}

/** What a finished call adds to a meter. */
export function meterAmount(meter: Meter, usage: CallUsage): number {
  switch (meter) {
    case "requests":
      return 1;
    case "input_tokens":
      return usage.inputTokens;
    case "output_tokens":
      return usage.outputTokens;
    case "tokens":
      return usage.inputTokens + usage.outputTokens;
    case "audio_seconds":
      return usage.audioSeconds;
  }
}
