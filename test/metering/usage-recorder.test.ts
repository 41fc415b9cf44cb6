/**
 * The batched usage writer against a real SQLite store: batching, flush on close, the batch-size trigger,
 * retries after a failing store, and the bound that drops the oldest records.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { EventEmitter, once } from "node:events";
import { join } from "node:path";
import { test } from "node:test";
import { createUsageRecorder } from "../../src/metering/create-usage-recorder.ts";
import { createSqliteStore, type Store, type UsageRepository } from "../../src/store/index.ts";
import { usageRecord } from "../store/usage-conformance.ts";
import { createTempDir } from "../support/start-gateway.ts";

interface Harness {
  readonly store: Store;
  /** The store's usage repository, counting appends and failing or holding them on demand. */
  readonly usage: UsageRepository;
  /** Emits `append` (with the batch size) when an append settles. */
  readonly events: EventEmitter;
  readonly batches: number[];
  fail: boolean;
  hold: Promise<void> | null;
  written(): Promise<{ records: number; inputTokens: number }>;
}

function openHarness(): Harness {
  const store = createSqliteStore({ path: join(createTempDir(), "usage.sqlite") });
  const events = new EventEmitter();
  const harness: Harness = {
    store,
    events,
    batches: [],
    fail: false,
    hold: null,
    usage: {
      async append(records) {
        harness.batches.push(records.length);
        try {
          if (harness.hold !== null) await harness.hold;
          if (harness.fail) throw new Error("store unavailable");
          await store.usage.append(records);
        } finally {
          events.emit("append", records.length);
        }
      },
      summarize: (query) => store.usage.summarize(query),
      series: (query) => store.usage.series(query),
      prune: (before, maxRows) => store.usage.prune(before, maxRows),
    },
    async written() {
      const rows = await store.usage.summarize({ from: 0, to: Number.MAX_SAFE_INTEGER });
      return {
        records: rows.reduce((sum, row) => sum + row.requests, 0),
        inputTokens: rows.reduce((sum, row) => sum + row.inputTokens, 0),
      };
    },
  };
  return harness;
}

/** Fails the test instead of hanging, and keeps the event loop alive while the recorder's timer is unref'd. */
async function within<T>(promise: Promise<T>, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`nothing happened within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const records = (count: number, from = 0) =>
  Array.from({ length: count }, (_, index) =>
    usageRecord({ at: 1000 + from + index, inputTokens: from + index }),
  );

test("records wait in memory; flush writes them one append per batch", async () => {
  const harness = openHarness();
  const recorder = createUsageRecorder({ usage: harness.usage, maxBatch: 4, flushIntervalMs: 60_000 });
  for (const record of records(10)) recorder.record(record);
  assert.equal(recorder.queued, 10);
  assert.deepEqual(harness.batches, [], "nothing is written in record()'s turn");
  await recorder.flush();
  assert.deepEqual(harness.batches, [4, 4, 2]);
  assert.equal(recorder.queued, 0);
  assert.deepEqual(await harness.written(), { records: 10, inputTokens: 45 });
  await recorder.close();
  await harness.store.close();
});

test("concurrent flushes share one write", async () => {
  const harness = openHarness();
  const recorder = createUsageRecorder({ usage: harness.usage, flushIntervalMs: 60_000 });
  let release = () => {};
  harness.hold = new Promise((resolve) => {
    release = resolve;
  });
  for (const record of records(3)) recorder.record(record);
  const first = recorder.flush();
  const second = recorder.flush();
  recorder.record(usageRecord({ at: 5000, inputTokens: 100 })); // arrives while the first batch is in flight
  assert.equal(recorder.queued, 4);
  release();
  await Promise.all([first, second, recorder.flush()]);
  assert.deepEqual(harness.batches, [3, 1]);
  assert.deepEqual(await harness.written(), { records: 4, inputTokens: 103 });
  await recorder.close();
  await harness.store.close();
});

test("close flushes; records after close are kept for the next flush", async () => {
  const harness = openHarness();
  const recorder = createUsageRecorder({ usage: harness.usage, flushIntervalMs: 60_000, maxBatch: 1 });
  recorder.record(usageRecord({ inputTokens: 7 }));
  await recorder.close();
  assert.deepEqual(await harness.written(), { records: 1, inputTokens: 7 });
  recorder.record(usageRecord({ inputTokens: 8 }));
  await nextTurn();
  await nextTurn();
  assert.equal(recorder.queued, 1, "no background write after close");
  await recorder.close();
  assert.deepEqual(await harness.written(), { records: 2, inputTokens: 15 });
  await harness.store.close();
});

test("maxBatch queued records are written without waiting for the timer", async () => {
  const harness = openHarness();
  const recorder = createUsageRecorder({ usage: harness.usage, maxBatch: 5, flushIntervalMs: 60_000 });
  const appended = once(harness.events, "append");
  for (const record of records(5)) recorder.record(record);
  assert.deepEqual(await within(appended), [5]);
  assert.equal(recorder.queued, 0);
  assert.deepEqual(await harness.written(), { records: 5, inputTokens: 10 });
  await recorder.close();
  await harness.store.close();
});

test("the timer writes what is queued", async () => {
  const harness = openHarness();
  const recorder = createUsageRecorder({ usage: harness.usage, flushIntervalMs: 10 });
  const appended = once(harness.events, "append");
  recorder.record(usageRecord({ inputTokens: 3 }));
  assert.deepEqual(await within(appended), [1]);
  assert.deepEqual(await harness.written(), { records: 1, inputTokens: 3 });
  await recorder.close();
  await harness.store.close();
});

test("a failing store keeps the records; the next flush writes them; no retry storm meanwhile", async () => {
  const harness = openHarness();
  const errors: Array<[unknown, number]> = [];
  const recorder = createUsageRecorder({
    usage: harness.usage,
    maxBatch: 2,
    flushIntervalMs: 60_000,
    onError: (error, dropped) => errors.push([error, dropped]),
  });
  harness.fail = true;
  for (const record of records(3)) recorder.record(record);
  await recorder.flush();
  assert.equal(recorder.queued, 3);
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]?.[0]), /store unavailable/);
  assert.equal(errors[0]?.[1], 0);
  const attempts = harness.batches.length;
  for (const record of records(4, 3)) recorder.record(record);
  await nextTurn();
  await nextTurn();
  assert.equal(harness.batches.length, attempts, "after a failure only the timer or flush() retries");
  harness.fail = false;
  await recorder.flush();
  assert.equal(recorder.queued, 0);
  assert.deepEqual(await harness.written(), { records: 7, inputTokens: 21 });
  await recorder.close();
  await harness.store.close();
});

test("maxQueued drops the oldest records and reports how many", async () => {
  const harness = openHarness();
  const errors: Array<[unknown, number]> = [];
  const recorder = createUsageRecorder({
    usage: harness.usage,
    maxBatch: 2,
    maxQueued: 5,
    flushIntervalMs: 60_000,
    onError: (error, dropped) => errors.push([error, dropped]),
  });
  harness.fail = true;
  let release = () => {};
  harness.hold = new Promise((resolve) => {
    release = resolve;
  });
  for (const record of records(5)) recorder.record(record); // 0…4
  const failing = recorder.flush(); // 0 and 1 in flight
  for (const record of records(3, 5)) recorder.record(record); // 5…7: the queue is full, 2 goes
  assert.equal(recorder.queued, 7, "five queued plus two in flight");
  release();
  await failing; // 0 and 1 come back in front, over the bound: they go too
  assert.equal(recorder.queued, 5);
  assert.deepEqual(
    errors.map(([, dropped]) => dropped),
    [3],
  );
  harness.hold = null;
  harness.fail = false;
  await recorder.flush();
  assert.deepEqual(await harness.written(), { records: 5, inputTokens: 3 + 4 + 5 + 6 + 7 });
  assert.equal(errors.length, 1, "nothing more to report");
  await recorder.close();
  await harness.store.close();
});

test("an invalid record is refused and reported, never poisoning a batch", async () => {
  const harness = openHarness();
  const errors: Array<[unknown, number]> = [];
  const recorder = createUsageRecorder({
    usage: harness.usage,
    onError: (error, dropped) => {
      errors.push([error, dropped]);
      throw new Error("a throwing hook is contained");
    },
  });
  recorder.record(usageRecord({ inputTokens: 1.5 }));
  recorder.record(usageRecord({ inputTokens: 2 }));
  assert.equal(recorder.queued, 1);
  assert.equal(errors.length, 1);
  assert.ok(errors[0]?.[0] instanceof TypeError);
  assert.match(String(errors[0]?.[0]), /inputTokens/);
  assert.equal(errors[0]?.[1], 1);
  await recorder.close();
  assert.deepEqual(await harness.written(), { records: 1, inputTokens: 2 });
  await harness.store.close();
});

test("options are checked at construction", async () => {
  const harness = openHarness();
  const usage = harness.usage;
  assert.throws(() => createUsageRecorder({ usage, maxBatch: 0 }), RangeError);
  assert.throws(() => createUsageRecorder({ usage, flushIntervalMs: Number.NaN }), RangeError);
  assert.throws(() => createUsageRecorder({ usage, maxQueued: 1.5 }), RangeError);
  await harness.store.close();
});

test("the timer does not keep a process alive", async () => {
  const module = new URL("../../src/metering/create-usage-recorder.ts", import.meta.url).href;
  const code = `import { createUsageRecorder } from ${JSON.stringify(module)};
    createUsageRecorder({ usage: { append: async () => {}, summarize: async () => [], series: async () => [] } });`;
  const child = spawn(process.execPath, ["--input-type=module", "--eval", code], { stdio: "inherit" });
  try {
    const [exitCode] = await within(once(child, "exit"));
    assert.equal(exitCode, 0);
  } finally {
    if (child.exitCode === null) child.kill();
  }
});
