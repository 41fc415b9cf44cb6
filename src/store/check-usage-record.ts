/**
 * @module store/check-usage-record
 * Whether a usage record is one every store accepts: the fields' types and ranges, checked in O(1).
 */
import type { UsageRecord } from "./store-types.ts";

export type UsageRecordCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly field: keyof UsageRecord; readonly reason: string };

const TEXT_FIELDS = ["userId", "operation", "provider", "model", "outcome"] as const;
const COUNT_FIELDS = ["at", "status", "inputTokens", "outputTokens", "cachedInputTokens"] as const;
const AMOUNT_FIELDS = ["audioSeconds", "latencyMs"] as const;

const invalid = (field: keyof UsageRecord, reason: string): UsageRecordCheck => ({
  ok: false,
  field,
  reason,
});

/** Never throws: a record from a bug elsewhere must not poison a batch, so callers can drop it instead. */
export function checkUsageRecord(record: UsageRecord): UsageRecordCheck {
  if (typeof record !== "object" || record === null) return invalid("userId", "not a record");
  if (typeof record.id !== "string" || record.id.length === 0 || record.id.length > 200) {
    return invalid("id", "must be a string of 1 to 200 characters");
  }
  for (const field of TEXT_FIELDS) {
    if (typeof record[field] !== "string") return invalid(field, "must be a string");
  }
  if (record.feature !== null && typeof record.feature !== "string") {
    return invalid("feature", "must be a string or null");
  }
  if (record.source !== "byok" && record.source !== "operator") {
    return invalid("source", "must be byok or operator");
  }
  for (const field of COUNT_FIELDS) {
    const value = record[field];
    if (!Number.isSafeInteger(value) || value < 0) return invalid(field, "must be a whole number ≥ 0");
  }
  for (const field of AMOUNT_FIELDS) {
    const value = record[field];
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      return invalid(field, "must be a finite number ≥ 0");
    }
  }
  if (typeof record.estimated !== "boolean") return invalid("estimated", "must be a boolean");
  return { ok: true };
}
