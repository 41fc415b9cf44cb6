/**
 * @module test/store/usage-conformance
 * The UsageRepository part of the Store conformance suite: appends, [from, to) totals, UTC buckets.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import type { Store, UsageRecord, UsageSummaryRow } from "../../src/store/index.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** A UTC midnight, far from any other test's data. */
const T0 = Date.UTC(2025, 0, 1);

export function usageRecord(overrides: Partial<UsageRecord> = {}): UsageRecord {
  return {
    id: randomUUID(),
    at: T0,
    userId: "usage-a",
    feature: "chat",
    operation: "chat",
    provider: "openai",
    model: "gpt-4o-mini",
    source: "byok",
    status: 200,
    outcome: "ok",
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    audioSeconds: 0,
    estimated: false,
    latencyMs: 12.5,
    ...overrides,
  };
}

const totals = (requests: number, inputTokens = 0, outputTokens = 0, audioSeconds = 0, estimated = 0) => ({
  requests,
  inputTokens,
  outputTokens,
  audioSeconds,
  estimatedRequests: estimated,
});

const byKey = (rows: UsageSummaryRow[]) =>
  [...rows].sort((a, b) =>
    `${a.userId}|${a.feature ?? ""}|${a.source}`.localeCompare(`${b.userId}|${b.feature ?? ""}|${b.source}`),
  );

export function usageConformance(store: Store): void {
  test("usage: append writes a batch; summarize groups by user, feature, source over [from, to)", async () => {
    await store.usage.append([]);
    await store.usage.append([
      usageRecord({ at: T0 - 1, inputTokens: 1000 }), // before `from`
      usageRecord({ at: T0, inputTokens: 10, outputTokens: 5 }),
      usageRecord({ at: T0 + 30 * 60_000, inputTokens: 1, outputTokens: 2, estimated: true }),
      usageRecord({ at: T0 + HOUR + 1, source: "operator", inputTokens: 100, outputTokens: 50 }),
      usageRecord({
        at: T0 + HOUR + 2,
        source: "operator",
        feature: null,
        operation: "stt",
        audioSeconds: 1.5,
      }),
      usageRecord({ at: T0 + 10 * 60_000, userId: "usage-b", source: "operator", inputTokens: 7 }),
      usageRecord({ at: T0 + DAY, outputTokens: 1000 }), // exactly `to`: excluded
    ]);
    const all = await store.usage.summarize({ from: T0, to: T0 + DAY });
    assert.deepEqual(byKey(all), [
      { userId: "usage-a", feature: null, source: "operator", ...totals(1, 0, 0, 1.5) },
      { userId: "usage-a", feature: "chat", source: "byok", ...totals(2, 11, 7, 0, 1) },
      { userId: "usage-a", feature: "chat", source: "operator", ...totals(1, 100, 50) },
      { userId: "usage-b", feature: "chat", source: "operator", ...totals(1, 7) },
    ]);
    assert.deepEqual(await store.usage.summarize({ userId: "usage-b", from: T0, to: T0 + DAY }), [
      { userId: "usage-b", feature: "chat", source: "operator", ...totals(1, 7) },
    ]);
    assert.deepEqual(await store.usage.summarize({ userId: "nobody", from: T0, to: T0 + DAY }), []);
    const edges = await store.usage.summarize({ userId: "usage-a", from: T0 - 1, to: T0 });
    assert.deepEqual(edges, [{ userId: "usage-a", feature: "chat", source: "byok", ...totals(1, 1000) }]);
  });

  test("usage: series buckets by UTC hour and day, ordered by bucket then source", async () => {
    const hours = await store.usage.series({ userId: "usage-a", from: T0, to: T0 + DAY, bucket: "hour" });
    assert.deepEqual(hours, [
      { bucketStart: T0, source: "byok", ...totals(2, 11, 7, 0, 1) },
      { bucketStart: T0 + HOUR, source: "operator", ...totals(2, 100, 50, 1.5) },
    ]);
    const days = await store.usage.series({ from: T0 - 1, to: T0 + DAY + 1, bucket: "day" });
    assert.deepEqual(days, [
      { bucketStart: T0 - DAY, source: "byok", ...totals(1, 1000) },
      { bucketStart: T0, source: "byok", ...totals(2, 11, 7, 0, 1) },
      { bucketStart: T0, source: "operator", ...totals(3, 107, 50, 1.5) },
      { bucketStart: T0 + DAY, source: "byok", ...totals(1, 0, 1000) },
    ]);
    assert.deepEqual(await store.usage.series({ from: T0 + 2 * DAY, to: T0 + 3 * DAY, bucket: "day" }), []);
  });

  test("usage: append is idempotent on the record id (a retried batch is counted once)", async () => {
    const at = T0 + 20 * DAY;
    const first = usageRecord({ at, userId: "usage-once", inputTokens: 3 });
    const second = usageRecord({ at: at + 1, userId: "usage-once", inputTokens: 4 });
    await store.usage.append([first, second]);
    // The same batch again (its acknowledgement was lost), then one mixing a known id with a new record.
    await store.usage.append([first, second]);
    const third = usageRecord({ at: at + 2, userId: "usage-once", inputTokens: 5 });
    await store.usage.append([second, third, third]);
    assert.deepEqual(await store.usage.summarize({ userId: "usage-once", from: at, to: at + DAY }), [
      { userId: "usage-once", feature: "chat", source: "byok", ...totals(3, 12) },
    ]);
    const missingId = { ...usageRecord({ at }), id: "" };
    await assert.rejects(store.usage.append([missingId]), /usage record 0: id/);
  });

  test("usage: a batch with an invalid record is refused whole", async () => {
    const at = T0 + 10 * DAY;
    const invalid = { ...usageRecord({ at }), inputTokens: Number.NaN };
    await assert.rejects(store.usage.append([usageRecord({ at }), invalid]), TypeError);
    assert.deepEqual(await store.usage.summarize({ from: at, to: at + 1 }), []);
  });

  test("usage: prune deletes the records made before a time, oldest first, at most maxRows a call", async () => {
    // Far before every other test's records (T0 and after), so no other test's data is in reach.
    const cut = T0 - 100 * DAY;
    const old = [3, 1, 2].map((days) => usageRecord({ at: cut - days * DAY, userId: "usage-pruned" }));
    const kept = [
      usageRecord({ at: cut, userId: "usage-pruned" }),
      usageRecord({ at: cut + 1, userId: "usage-pruned" }),
    ];
    await store.usage.append([...old, ...kept]);
    const left = async () =>
      (await store.usage.series({ userId: "usage-pruned", from: 0, to: T0, bucket: "day" })).map(
        (row) => (row.bucketStart - cut) / DAY,
      );
    assert.deepEqual(await left(), [-3, -2, -1, 0]);
    assert.equal(await store.usage.prune(cut, 2), 2); // the two oldest
    assert.deepEqual(await left(), [-1, 0]);
    assert.equal(await store.usage.prune(cut, 10), 1);
    assert.equal(await store.usage.prune(cut, 10), 0);
    assert.deepEqual(await left(), [0]);
    assert.equal(
      (await store.usage.summarize({ userId: "usage-pruned", from: cut, to: cut + DAY }))[0]?.requests,
      2,
    );
    await assert.rejects(store.usage.prune(cut, 0), RangeError);
    await assert.rejects(store.usage.prune(Number.NaN, 10), RangeError);
  });
}
