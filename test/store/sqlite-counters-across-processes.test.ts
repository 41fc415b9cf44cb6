/**
 * Quota counters stay exact when several processes charge one SQLite file at once (worker processes on one
 * host): BEGIN IMMEDIATE serializes them through SQLite's file lock, which one event loop alone never tests.
 */
import assert from "node:assert/strict";
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { after, test } from "node:test";
import { type CounterKey, createSqliteStore } from "../../src/store/index.ts";
import { createTempDir } from "../support/start-gateway.ts";

const PROCESSES = 4;
const ATTEMPTS = 100;
const LIMIT = 150;
const ROUNDS = 5;

const nextMessage = (child: ChildProcess): Promise<unknown> =>
  once(child, "message").then(([message]) => message);

test(`${PROCESSES} processes × ${ATTEMPTS} charges on one file pass exactly ${LIMIT} times (x${ROUNDS})`, async () => {
  const path = join(createTempDir(), "shared.sqlite");
  const script = new URL("./charge-counters-process.ts", import.meta.url);
  // The children open the new file at about the same time; the first to take the write lock migrates it.
  const children = Array.from({ length: PROCESSES }, () => fork(script, [path], { execArgv: [] }));
  after(() => {
    for (const child of children) if (child.connected) child.kill();
  });
  assert.deepEqual(await Promise.all(children.map(nextMessage)), Array(PROCESSES).fill("ready"));
  const store = createSqliteStore({ path });
  after(() => store.close());

  for (let round = 0; round < ROUNDS; round += 1) {
    const keys: [CounterKey, CounterKey] = [
      { userId: "processes", meter: "requests", scope: "*", periodStart: round },
      { userId: "processes", meter: "tokens", scope: "*", periodStart: round },
    ];
    const reports = children.map(nextMessage);
    for (const child of children) child.send({ keys, attempts: ATTEMPTS, limit: LIMIT });
    const passed = ((await Promise.all(reports)) as Array<{ passed: number }>).map((report) => report.passed);
    assert.equal(
      passed.reduce((sum, count) => sum + count, 0),
      LIMIT,
      `round ${round}: ${passed.join(" + ")}`,
    );
    assert.deepEqual(await store.counters.read(keys), [LIMIT, LIMIT / 2]);
  }
  const exits = children.map((child) => once(child, "exit"));
  for (const child of children) child.send("exit");
  await Promise.all(exits);
});
