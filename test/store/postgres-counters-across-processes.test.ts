/**
 * @module test/store/postgres-counters-across-processes.test
 * Quota counters stay exact when several processes (replicas) charge one PostgreSQL schema at once: each
 * charge locks its counter rows in one order inside a transaction, which one event loop alone never tests.
 */
import assert from "node:assert/strict";
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { after, test } from "node:test";
import { type CounterKey, createPostgresStore } from "../../src/store/index.ts";
import { createTestSchema } from "../support/postgres.ts";

const PROCESSES = 4;
const ATTEMPTS = 60;
const LIMIT = 90;
const ROUNDS = 3;

const nextMessage = (child: ChildProcess): Promise<unknown> =>
  once(child, "message").then(([message]) => message);

test(`${PROCESSES} processes × ${ATTEMPTS} charges on one PostgreSQL schema pass exactly ${LIMIT} times (x${ROUNDS})`, async () => {
  const schema = await createTestSchema();
  after(() => schema.drop());
  const script = new URL("./charge-counters-process.ts", import.meta.url);
  // The children open the fresh schema at about the same time; the advisory lock lets one migrate it.
  const children = Array.from({ length: PROCESSES }, () =>
    fork(script, ["--postgres", schema.url, schema.schema], { execArgv: [] }),
  );
  after(() => {
    for (const child of children) if (child.connected) child.kill();
  });
  assert.deepEqual(await Promise.all(children.map(nextMessage)), Array(PROCESSES).fill("ready"));
  const store = await createPostgresStore({ url: schema.url, schema: schema.schema });
  after(() => store.close());

  for (let round = 0; round < ROUNDS; round += 1) {
    // Two keys whose lock order differs from the order they are charged in, half the time.
    const keys: [CounterKey, CounterKey] = [
      { userId: "processes", meter: round % 2 === 0 ? "requests" : "tokens", scope: "*", periodStart: round },
      { userId: "processes", meter: round % 2 === 0 ? "tokens" : "requests", scope: "*", periodStart: round },
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
