/**
 * @module store/check-usage-record
 * Whether a usage record is one every store accepts: the fields' types and ranges, checked in O(1).
 */
import type { UsageRecord } from "./store-types.ts";

export type UsageRecordCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly field: keyof UsageRecord; readonly reason: string };

const OK: UsageRecordCheck = Object.freeze({ ok: true });

const invalid = (field: keyof UsageRecord, reason: string): UsageRecordCheck => ({
  ok: false,
  field,
  reason,
});

const notText = (value: unknown) => typeof value !== "string";
const notCount = (value: number) => !Number.isSafeInteger(value) || value < 0;
const notAmount = (value: number) => typeof value !== "number" || !Number.isFinite(value) || value < 0;

/**
 * Never throws: a record from a bug elsewhere must not poison a batch, so callers can drop it instead. Each
 * field is read by name (no loop over field names): it runs for every record, twice (queued, then appended).
 */
export function checkUsageRecord(record: UsageRecord): UsageRecordCheck {
  if (typeof record !== "object" || record === null) return invalid("userId", "not a record");
  const { id } = record;
  if (typeof id !== "string" || id.length === 0 || id.length > 200) {
    return invalid("id", "must be a string of 1 to 200 characters");
  }
  const text = "must be a string";
  if (notText(record.userId)) return invalid("userId", text);
  if (notText(record.operation)) return invalid("operation", text);
  if (notText(record.provider)) return invalid("provider", text);
  if (notText(record.model)) return invalid("model", text);
  if (notText(record.outcome)) return invalid("outcome", text);
  if (record.feature !== null && typeof record.feature !== "string") {
    return invalid("feature", "must be a string or null");
  }
  if (record.source !== "byok" && record.source !== "operator") {
    return invalid("source", "must be byok or operator");
  }
  const count = "must be a whole number ≥ 0";
  if (notCount(record.at)) return invalid("at", count);
  if (notCount(record.status)) return invalid("status", count);
  if (notCount(record.inputTokens)) return invalid("inputTokens", count);
  if (notCount(record.outputTokens)) return invalid("outputTokens", count);
  if (notCount(record.cachedInputTokens)) return invalid("cachedInputTokens", count);
  const amount = "must be a finite number ≥ 0";
  if (notAmount(record.audioSeconds)) return invalid("audioSeconds", amount);
  if (notAmount(record.latencyMs)) return invalid("latencyMs", amount);
  if (typeof record.estimated !== "boolean") return invalid("estimated", "must be a boolean");
  return OK;
}
