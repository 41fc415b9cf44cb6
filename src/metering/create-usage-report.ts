/**
 * @module metering/create-usage-report
 * What a user has used and may still use: each plan limit's counter this period (operator-served), and
 * this month's recorded usage split BYOK vs operator and per feature.
 */
import type { Store, UsageSource, UsageSummaryRow } from "../store/store-types.ts";
import type { AdmissionControl } from "./create-admission-control.ts";
import { periodWindow } from "./period-window.ts";
import { applicableLimits } from "./plan-limits.ts";
import { roundMeterAmount } from "./round-meter-amount.ts";

export interface MeterStatus {
  readonly meter: string;
  readonly period: string;
  /** `*` for the whole plan, else the feature group. */
  readonly scope: string;
  readonly features: readonly string[] | null;
  readonly used: number;
  readonly limit: number;
  readonly remaining: number;
  readonly resets_at: string;
}

export interface UsageTotalsView {
  readonly requests: number;
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly audio_seconds: number;
  readonly estimated_requests: number;
}

export interface UsageReport {
  readonly user: string;
  readonly plan: string | null;
  /** Operator-served usage against each of the plan's limits; BYOK-served usage never counts here. */
  readonly limits: readonly MeterStatus[];
  readonly usage: {
    readonly from: string;
    readonly to: string;
    readonly byok: UsageTotalsView;
    readonly operator: UsageTotalsView;
    readonly by_feature: ReadonlyArray<
      { readonly feature: string | null; readonly source: UsageSource } & UsageTotalsView
    >;
  };
}

export interface UsageReporterOptions {
  readonly store: Pick<Store, "counters" | "usage">;
  readonly admission: AdmissionControl;
  /** Writes queued usage records first, so a report includes the calls just made. */
  readonly flush: () => Promise<void>;
  readonly now?: () => number;
}

const empty = (): UsageTotalsView => ({
  requests: 0,
  input_tokens: 0,
  output_tokens: 0,
  audio_seconds: 0,
  estimated_requests: 0,
});

const view = (row: UsageSummaryRow): UsageTotalsView => ({
  requests: row.requests,
  input_tokens: row.inputTokens,
  output_tokens: row.outputTokens,
  audio_seconds: roundMeterAmount(row.audioSeconds),
  estimated_requests: row.estimatedRequests,
});

function add(into: UsageTotalsView, row: UsageTotalsView): UsageTotalsView {
  return {
    requests: into.requests + row.requests,
    input_tokens: into.input_tokens + row.input_tokens,
    output_tokens: into.output_tokens + row.output_tokens,
    audio_seconds: roundMeterAmount(into.audio_seconds + row.audio_seconds),
    estimated_requests: into.estimated_requests + row.estimated_requests,
  };
}

export function createUsageReporter(options: UsageReporterOptions) {
  const { store, admission } = options;
  const now = options.now ?? Date.now;

  return async function reportUsage(userId: string, plan: string | null): Promise<UsageReport> {
    await options.flush();
    const at = now();
    const resolved = admission.resolvePlan(plan);
    const limits =
      resolved === null ? [] : applicableLimits(resolved.config, userId, null, at, { allGroups: true });
    const used = await store.counters.read(limits.map((entry) => entry.key));
    const month = periodWindow("month", at);
    const rows = await store.usage.summarize({ userId, from: month.start, to: month.end });
    let byok = empty();
    let operator = empty();
    for (const row of rows) {
      if (row.source === "byok") byok = add(byok, view(row));
      else operator = add(operator, view(row));
    }
    return {
      user: userId,
      plan: resolved?.name ?? null,
      limits: limits.map((entry, index) => ({
        meter: entry.key.meter,
        period: entry.limit.period,
        scope: entry.scope,
        features: entry.limit.features ?? null,
        used: roundMeterAmount(used[index] ?? 0),
        limit: entry.limit.limit,
        remaining: roundMeterAmount(Math.max(0, entry.limit.limit - (used[index] ?? 0))),
        resets_at: new Date(entry.resetsAt).toISOString(),
      })),
      usage: {
        from: new Date(month.start).toISOString(),
        to: new Date(month.end).toISOString(),
        byok,
        operator,
        by_feature: rows.map((row) => ({ feature: row.feature, source: row.source, ...view(row) })),
      },
    };
  };
}

export type UsageReporter = ReturnType<typeof createUsageReporter>;
