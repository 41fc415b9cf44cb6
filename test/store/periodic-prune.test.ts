/**
 * @module test/store/periodic-prune
 * Pruning on a timer: usage records past `metering.retentionDays` and counters of periods long over go,
 * batch by batch, on real SQLite and PostgreSQL; what is younger stays; a failed round is retried.
 */
import assert from "node:assert/strict";
import { EventEmitter, once } from "node:events";
import { join } from "node:path";
import { test } from "node:test";
import {
  createPostgresQuotaCounterRepository,
  pruneEndedPostgresCounters,
} from "../../src/store/postgres/create-postgres-quota-counter-repository.ts";
import { openPostgresPool } from "../../src/store/postgres/open-postgres-pool.ts";
import { migratePostgres } from "../../src/store/postgres/postgres-migrations.ts";
import {
  createSqliteQuotaCounterRepository,
  pruneEndedSqliteCounters,
} from "../../src/store/sqlite/create-sqlite-quota-counter-repository.ts";
import { createSqliteStore } from "../../src/store/sqlite/create-sqlite-store.ts";
import { openSqliteConnection } from "../../src/store/sqlite/open-sqlite-connection.ts";
import { migrateSqlite } from "../../src/store/sqlite/sqlite-migrations.ts";
import { startPeriodicPrune } from "../../src/store/start-periodic-prune.ts";
import { ENDED_COUNTER_KEEP_MS, type QuotaCounterRepository } from "../../src/store/store-types.ts";
import { createTestSchema } from "../support/postgres.ts";
import { createTempDir } from "../support/start-gateway.ts";
import { counterKey } from "./counter-conformance.ts";
import { usageRecord } from "./usage-conformance.ts";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 15);

test("usage records older than the keep time are deleted on the timer, batch by batch; younger ones stay", async () => {
  const store = createSqliteStore({ path: join(createTempDir(), "prune.sqlite") });
  try {
    const old = Array.from({ length: 7 }, (_, index) => usageRecord({ at: NOW - 31 * DAY - index }));
    const young = [usageRecord({ at: NOW - 30 * DAY }), usageRecord({ at: NOW - DAY })];
    await store.usage.append([...old, ...young]);
    const calls: number[] = [];
    const events = new EventEmitter();
    const prune = startPeriodicPrune({
      prune: async (before, maxRows) => {
        const deleted = await store.usage.prune(before, maxRows);
        calls.push(deleted);
        return deleted;
      },
      keepMs: 30 * DAY,
      now: () => NOW,
      firstAfterMs: 0,
      batch: 3,
      onPruned: (count) => events.emit("pruned", count),
    });
    const [count] = await once(events, "pruned");
    await prune.close();
    assert.equal(count, 7);
    assert.deepEqual(calls, [3, 3, 1]); // a full batch asks again; a short one ends the round
    const left = await store.usage.summarize({ from: 0, to: NOW });
    assert.equal(left[0]?.requests, 2);
  } finally {
    await store.close();
  }
});

test("SQLite prunes in small statements (each runs on the event loop), with a pause between", async () => {
  const store = createSqliteStore({ path: join(createTempDir(), "small.sqlite") });
  try {
    assert.equal(store.pruneBatch, 500);
    await store.usage.append(
      Array.from({ length: 1_203 }, (_, index) => usageRecord({ at: NOW - 40 * DAY - index })),
    );
    const calls: number[] = [];
    const prune = startPeriodicPrune({
      prune: async (before, maxRows) => {
        const deleted = await store.usage.prune(before, maxRows);
        calls.push(deleted);
        return deleted;
      },
      keepMs: 30 * DAY,
      now: () => NOW,
      firstAfterMs: 60_000,
      batch: store.pruneBatch,
    });
    assert.equal(await prune.run(), 1_203);
    await prune.close();
    assert.deepEqual(calls, [500, 500, 203]);
  } finally {
    await store.close();
  }
});

test("a round that fails is reported and the next one tries again; close waits for the round under way", async () => {
  let failNext = true;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const errors: unknown[] = [];
  const prune = startPeriodicPrune({
    prune: async () => {
      if (failNext) {
        failNext = false;
        throw new Error("store away");
      }
      await gate;
      return 5; // a full batch: only close ends this round
    },
    keepMs: DAY,
    firstAfterMs: 60_000,
    batch: 5,
    onError: (error) => errors.push(error),
  });
  assert.equal(await prune.run(), 0);
  assert.equal(errors.length, 1);
  const round = prune.run();
  assert.equal(prune.run(), round, "a run while one is under way joins it");
  const closed = prune.close();
  release();
  await closed;
  assert.equal(await round, 5, "the round stopped after its batch once closed");
  assert.throws(() => startPeriodicPrune({ prune: async () => 0, keepMs: 0 }), RangeError);
});

/** Charges a counter of a period that started `daysAgo` days before NOW, and one of this period. */
async function chargeOldAndNew(counters: QuotaCounterRepository, daysAgo: number) {
  const old = counterKey("prune-user", "requests", "*", NOW - daysAgo * DAY);
  const current = counterKey("prune-user", "requests", "*", NOW - DAY);
  const tryCharge = await counters.tryCharge([
    { key: old, amount: 3, limit: 10 },
    { key: current, amount: 4, limit: 10 },
  ]);
  assert.equal(tryCharge.ok, true);
  return { old, current };
}

test("sqlite: counters of periods long over are deleted, at most maxRows a call; current ones stay", async () => {
  const connection = openSqliteConnection(join(createTempDir(), "counters.sqlite"));
  try {
    migrateSqlite(connection.db);
    const counters = createSqliteQuotaCounterRepository(connection);
    const { old, current } = await chargeOldAndNew(counters, 63);
    await counters.tryCharge([{ key: { ...old, meter: "tokens" }, amount: 9, limit: 100 }]);
    const before = NOW - ENDED_COUNTER_KEEP_MS;
    const plan = connection.db
      .prepare("EXPLAIN QUERY PLAN SELECT 1 FROM quota_counters WHERE period_start < ?")
      .all(before)
      .map((row) => String((row as { detail: string }).detail));
    assert.ok(
      plan.some((detail) => detail.includes("quota_counters_period")),
      plan.join("; "),
    );
    assert.equal(pruneEndedSqliteCounters(connection, before, 1), 1);
    assert.equal(pruneEndedSqliteCounters(connection, before, 10), 1);
    assert.equal(pruneEndedSqliteCounters(connection, before, 10), 0);
    assert.deepEqual(await counters.read([old, current]), [0, 4]);
  } finally {
    connection.close();
  }
});

test("postgres: counters of periods long over are deleted, at most maxRows a call; current ones stay", async () => {
  const schema = await createTestSchema();
  const pool = openPostgresPool({
    url: schema.url,
    schema: schema.schema,
    poolMax: 2,
    connectTimeoutMs: 3000,
    statementTimeoutMs: 5000,
    idleTimeoutMs: 10_000,
  });
  try {
    await migratePostgres(pool);
    const counters = createPostgresQuotaCounterRepository(pool);
    const { old, current } = await chargeOldAndNew(counters, 63);
    await counters.tryCharge([{ key: { ...old, meter: "tokens" }, amount: 9, limit: 100 }]);
    const indexes = await schema.query<{ indexname: string }>(
      "SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'quota_counters'",
      [schema.schema],
    );
    assert.ok(indexes.some((row) => row.indexname === "quota_counters_period"));
    const before = NOW - ENDED_COUNTER_KEEP_MS;
    assert.equal(await pruneEndedPostgresCounters(pool, before, 1), 1);
    assert.equal(await pruneEndedPostgresCounters(pool, before, 10), 1);
    assert.equal(await pruneEndedPostgresCounters(pool, before, 10), 0);
    assert.deepEqual(await counters.read([old, current]), [0, 4]);
  } finally {
    await pool.close();
    await schema.drop();
  }
});
