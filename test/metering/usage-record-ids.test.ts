/**
 * @module test/metering/usage-record-ids
 * Usage record ids: spelled like UUIDs, unique and ascending within a process, a fresh random
 * prefix per process (two real processes) and once a prefix's counter is spent, valid record ids.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { promisify } from "node:util";
import { createUsageRecordIds } from "../../src/metering/create-usage-record-ids.ts";
import { checkUsageRecord } from "../../src/store/check-usage-record.ts";
import { usageRecord } from "../store/usage-conformance.ts";

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PREFIX = 24;

test("ids are spelled like UUIDs, unique, ascending in generation order, and valid record ids", () => {
  const next = createUsageRecordIds();
  const seen: string[] = [];
  for (let index = 0; index < 100_000; index += 1) seen.push(next());
  for (const id of seen) assert.match(id, UUID_SHAPE);
  assert.equal(new Set(seen).size, seen.length);
  assert.deepEqual([...seen].sort(), seen);
  assert.equal(new Set(seen.map((id) => id.slice(0, PREFIX))).size, 1);
  assert.deepEqual(checkUsageRecord(usageRecord({ id: seen[0] })), { ok: true });
});

test("two generators draw different prefixes", () => {
  const prefixes = new Set(Array.from({ length: 50 }, () => createUsageRecordIds()().slice(0, PREFIX)));
  assert.equal(prefixes.size, 50);
});

test("a spent counter draws a fresh prefix and starts again at zero", () => {
  let draws = 0;
  const next = createUsageRecordIds({
    counterLimit: 16,
    random: (size) => {
      draws += 1;
      return Buffer.alloc(size, draws);
    },
  });
  const seen = Array.from({ length: 40 }, () => next());
  assert.equal(draws, 3);
  assert.equal(new Set(seen).size, 40);
  assert.equal(seen[0]?.slice(-1), "0");
  assert.equal(seen[15]?.slice(-1), "f");
  assert.equal(seen[16]?.slice(-1), "0");
  assert.notEqual(seen[16]?.slice(0, PREFIX), seen[15]?.slice(0, PREFIX));
});

test("two processes (replicas, or one restarted) never share a usage record id prefix", async () => {
  const script = `
    const { toUsageRecord } = await import(${JSON.stringify(new URL("../../src/library/to-usage-record.ts", import.meta.url).href)});
    const call = { userId: "u", operation: "chat", stream: false, status: 200, outcome: "ok", usage: null,
      estimated: false, audioSeconds: null, latencyMs: 1,
      route: { feature: null, connection: "openai", model: "m", source: "byok" } };
    process.stdout.write(JSON.stringify([toUsageRecord(call, 0).id, toUsageRecord(call, 0).id]));`;
  const run = async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script]);
    return JSON.parse(stdout) as [string, string];
  };
  const [first, second] = await Promise.all([run(), run()]);
  for (const [a, b] of [first, second]) {
    assert.match(a, UUID_SHAPE);
    assert.ok(a < b, `${a} < ${b}`);
    assert.equal(a.slice(0, PREFIX), b.slice(0, PREFIX));
  }
  assert.notEqual(first[0].slice(0, PREFIX), second[0].slice(0, PREFIX));
});
