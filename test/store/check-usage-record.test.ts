/**
 * @module test/store/check-usage-record
 * The usage record check against its rules written out as a table (the reference): the same verdict, and
 * the same first failing field and reason, for valid records and records with any field wrong (seeded, bounded).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { checkUsageRecord, type UsageRecordCheck } from "../../src/store/check-usage-record.ts";
import type { UsageRecord } from "../../src/store/store-types.ts";
import { usageRecord } from "./usage-conformance.ts";

const TEXT = ["userId", "operation", "provider", "model", "outcome"] as const;
const COUNT = ["at", "status", "inputTokens", "outputTokens", "cachedInputTokens"] as const;
const AMOUNT = ["audioSeconds", "latencyMs"] as const;

/** The rules, field by field, in the order the check reports them. */
function reference(record: Record<string, unknown>): UsageRecordCheck {
  const no = (field: keyof UsageRecord, reason: string): UsageRecordCheck => ({ ok: false, field, reason });
  const id = record.id;
  if (typeof id !== "string" || id.length === 0 || id.length > 200) {
    return no("id", "must be a string of 1 to 200 characters");
  }
  for (const field of TEXT) if (typeof record[field] !== "string") return no(field, "must be a string");
  if (record.feature !== null && typeof record.feature !== "string")
    return no("feature", "must be a string or null");
  if (record.source !== "byok" && record.source !== "operator")
    return no("source", "must be byok or operator");
  for (const field of COUNT) {
    const value = record[field];
    if (!Number.isSafeInteger(value) || (value as number) < 0) return no(field, "must be a whole number ≥ 0");
  }
  for (const field of AMOUNT) {
    const value = record[field];
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      return no(field, "must be a finite number ≥ 0");
    }
  }
  if (typeof record.estimated !== "boolean") return no("estimated", "must be a boolean");
  return { ok: true };
}

const FIELDS = ["id", ...TEXT, "feature", "source", ...COUNT, ...AMOUNT, "estimated"] as const;
const oddValue = fc.oneof(
  fc.anything(),
  fc.constantFrom("", "x".repeat(201), "byok", "operator", null, undefined, -1, 0, 1.5, 2 ** 53, Number.NaN),
  fc.constantFrom(Number.POSITIVE_INFINITY, -0, true, false, 7),
);

test("the check agrees with the reference rules on valid and broken records", () => {
  fc.assert(
    fc.property(
      fc.dictionary(fc.constantFrom(...FIELDS), oddValue, { maxKeys: 4 }),
      fc.boolean(),
      (overrides, operatorFeatureless) => {
        const base = operatorFeatureless ? usageRecord({ source: "operator", feature: null }) : usageRecord();
        const record = { ...base, ...overrides } as Record<string, unknown>;
        assert.deepEqual(checkUsageRecord(record as unknown as UsageRecord), reference(record));
      },
    ),
    { seed: 1812, numRuns: 5000, interruptAfterTimeLimit: 5000 },
  );
});

test("valid records pass; a non-object is refused without throwing", () => {
  assert.deepEqual(checkUsageRecord(usageRecord()), { ok: true });
  assert.deepEqual(checkUsageRecord(usageRecord({ feature: null, audioSeconds: 2.5, estimated: true })), {
    ok: true,
  });
  for (const value of [null, undefined, 7, "record"]) {
    assert.deepEqual(checkUsageRecord(value as unknown as UsageRecord), {
      ok: false,
      field: "userId",
      reason: "not a record",
    });
  }
});
