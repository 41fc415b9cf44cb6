/**
 * @module store/usage-rows
 * What the SQL usage repositories share: the batch check before an append, and the rows their totals
 * queries answer, mapped to the repository's types.
 */
import { checkUsageRecord } from "./check-usage-record.ts";
import type { UsageRecord, UsageSeriesRow, UsageSource, UsageSummaryRow } from "./store-types.ts";

export interface TotalsRow {
  requests: number;
  input_tokens: number;
  output_tokens: number;
  audio_seconds: number;
  estimated_requests: number;
  source: UsageSource;
}
export interface SummaryRow extends TotalsRow {
  user_id: string;
  feature: string | null;
}
export interface SeriesRow extends TotalsRow {
  bucket_start: number;
}

/** A series bucket's length in ms. */
export const bucketMs = (bucket: "hour" | "day") => (bucket === "hour" ? 3_600_000 : 86_400_000);

/** Checked before anything is written, so a bad record rejects the whole batch with a clear error. */
export function assertUsageRecords(records: readonly UsageRecord[]): void {
  for (const [index, record] of records.entries()) {
    const check = checkUsageRecord(record);
    if (!check.ok) throw new TypeError(`usage record ${index}: ${check.field} ${check.reason}`);
  }
}

/** A prune's arguments: a whole-millisecond time and a positive whole number of rows. */
export function assertPruneArguments(before: number, maxRows: number): void {
  if (!Number.isSafeInteger(before))
    throw new RangeError(`before must be a whole ms timestamp, got ${before}`);
  if (!Number.isSafeInteger(maxRows) || maxRows < 1)
    throw new RangeError(`maxRows must be a whole number ≥ 1, got ${maxRows}`);
}

const totals = (row: TotalsRow) => ({
  requests: row.requests,
  inputTokens: row.input_tokens,
  outputTokens: row.output_tokens,
  audioSeconds: row.audio_seconds,
  estimatedRequests: row.estimated_requests,
  source: row.source,
});

export const toSummaryRow = (row: SummaryRow): UsageSummaryRow => ({
  userId: row.user_id,
  feature: row.feature,
  ...totals(row),
});

export const toSeriesRow = (row: SeriesRow): UsageSeriesRow => ({
  bucketStart: row.bucket_start,
  ...totals(row),
});
