/**
 * @module test/metering/usage-record-ids
 * Usage record ids: unique and ascending within a process, a fresh random prefix per process (two real
 * processes) and once a prefix's counter is spent, and short enough for every store's id column.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { promisify } from "node:util";
import { createUsageRecordIds } from "../../src/metering/create-usage-record-ids.ts";
import { checkUsageRecord } from "../../src/store/check-usage-record.ts";
import { usageRecord } from "../store/usage-conformance.ts";

const ID = /^[A-Za-z0-9_-]{16}[0-9a-f]{12}$/;

test("ids are unique, ascending in generation order, and valid record ids", () => {
  const ids = createUsageRecordIds();
  const seen: string[] = [];
  for (let index = 0; index < 5000; index += 1) seen.push(ids.next());
  for (const id of seen) assert.match(id, ID);
  assert.equal(new Set(seen).size, seen.length);
  assert.deepEqual([...seen].sort(), seen);
  assert.equal(new Set(seen.map((id) => id.slice(0, 16))).size, 1);
  assert.deepEqual(checkUsageRecord(usageRecord({ id: seen[0] })), { ok: true });
});

test("two generators draw different prefixes", () => {
  const first = createUsageRecordIds().next();
  const second = createUsageRecordIds().next();
  assert.notEqual(first.slice(0, 16), second.slice(0, 16));
});

test("a spent counter draws a fresh prefix and starts again at zero", () => {
  let draws = 0;
  const ids = createUsageRecordIds({
    counterDigits: 1,
    random: (size) => {
      draws += 1;
      return Buffer.alloc(size, draws);
    },
  });
  const seen = Array.from({ length: 40 }, () => ids.next());
  assert.equal(draws, 3);
  assert.equal(new Set(seen).size, 40);
  assert.equal(seen[0]?.slice(-1), "0");
  assert.equal(seen[15]?.slice(-1), "f");
  assert.equal(seen[16]?.slice(-1), "0");
  assert.notEqual(seen[16]?.slice(0, 16), seen[15]?.slice(0, 16));
});

test("two processes (replicas, or one restarted) never share a prefix", async () => {
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
    assert.match(a, ID);
    assert.ok(a < b, `${a} < ${b}`);
    assert.equal(a.slice(0, 16), b.slice(0, 16));
  }
  assert.notEqual(first[0].slice(0, 16), second[0].slice(0, 16));
});
