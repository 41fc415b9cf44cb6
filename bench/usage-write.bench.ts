/**
 * @module bench/usage-write.bench
 * The per-request usage write: served calls through toUsageRecord, the batched recorder and the SQLite usage
 * repository into a real file; CPU µs per record. Baseline in the same run: the same path with randomUUID() ids.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toUsageRecord } from "../src/library/to-usage-record.ts";
import { createUsageRecorder } from "../src/metering/create-usage-recorder.ts";
import type { ServedCall } from "../src/pipeline/index.ts";
import { createSqliteStore, type UsageRecord } from "../src/store/index.ts";

const RECORDS = Number(process.env.BENCH_USAGE_RECORDS ?? 100_000);
const RUNS = 3;
/** Records per turn of the event loop, as 64 connections deliver them; the recorder's default batch of 500. */
const PER_TURN = 100;

const call = (index: number): ServedCall =>
  ({
    userId: `bench-user-${index & 3}`,
    operation: "chat",
    stream: false,
    status: 200,
    outcome: "ok",
    route: { feature: "chat", connection: "openai", model: "gpt-4o-mini", source: "byok" },
    usage: { inputTokens: 12, outputTokens: 34, cachedInputTokens: 0 },
    estimated: false,
    audioSeconds: null,
    latencyMs: 1.25 + (index % 7),
  }) as unknown as ServedCall;

/** CPU µs (user + system) per record, all records written and closed. */
async function run(makeRecord: (index: number) => UsageRecord): Promise<number> {
  const folder = mkdtempSync(join(tmpdir(), "byok-usage-bench-"));
  const store = createSqliteStore({ path: join(folder, "usage.sqlite") });
  const recorder = createUsageRecorder({ usage: store.usage });
  const before = process.cpuUsage();
  for (let index = 0; index < RECORDS; index += PER_TURN) {
    for (let next = index; next < index + PER_TURN; next += 1) recorder.record(makeRecord(next));
    await new Promise((resolve) => setImmediate(resolve));
  }
  await recorder.close();
  const used = process.cpuUsage(before);
  await store.close();
  rmSync(folder, { recursive: true, force: true });
  return (used.user + used.system) / RECORDS;
}

const cases = {
  "randomUUID() ids (baseline)": (index: number) => ({
    ...toUsageRecord(call(index), Date.now()),
    id: randomUUID(),
  }),
  "toUsageRecord ids (prefix + counter)": (index: number) => toUsageRecord(call(index), Date.now()),
};
const results = new Map<string, number[]>(Object.keys(cases).map((name) => [name, []]));
for (let round = 0; round < RUNS; round += 1) {
  for (const [name, makeRecord] of Object.entries(cases)) results.get(name)?.push(await run(makeRecord));
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const baseline = median(results.get("randomUUID() ids (baseline)") ?? []);
console.log(
  `\n${RECORDS} records per run, ${RUNS} runs alternated; CPU µs per record (user + system), median`,
);
for (const [name, runs] of results) {
  const value = median(runs);
  console.log(
    `${name.padEnd(40)} ${value.toFixed(2).padStart(7)} µs  ${(value / baseline).toFixed(2)}x  (${runs.map((v) => v.toFixed(2)).join(" / ")})`,
  );
}
