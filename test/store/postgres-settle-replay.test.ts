/**
 * @module test/store/postgres-settle-replay
 * PostgreSQL without Redis, through a TCP proxy the test cuts: a settle lost to a blip is replayed once the
 * database is back (usage counted once, the hold released long before its lease ends), and a replay after
 * a commit whose answer was lost counts nothing more.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parseConfig } from "../../src/config/load-config.ts";
import { createAdmissionControl } from "../../src/metering/create-admission-control.ts";
import { createLocalRateLimiter } from "../../src/metering/rate-limits/create-local-rate-limiter.ts";
import { createDurableQuotaCounters } from "../../src/store/create-durable-quota-counters.ts";
import { createPostgresStore } from "../../src/store/index.ts";
import { createPostgresQuotaCounterRepository } from "../../src/store/postgres/create-postgres-quota-counter-repository.ts";
import { openPostgresPool, type PostgresPool } from "../../src/store/postgres/open-postgres-pool.ts";
import { migratePostgres } from "../../src/store/postgres/postgres-migrations.ts";
import { createTestSchema } from "../support/postgres.ts";
import { createTempDir } from "../support/start-gateway.ts";
import { startTcpProxy } from "../support/tcp-proxy.ts";
import { counterKey } from "./counter-conformance.ts";

const schema = await createTestSchema();
const proxy = await startTcpProxy({ host: "127.0.0.1", port: 5432 });
const url = `postgres://postgres@127.0.0.1:${proxy.port}${new URL(schema.url).pathname}`;
const timeouts = { connectTimeoutMs: 1000, statementTimeoutMs: 1000 };

after(async () => {
  await proxy.close();
  await schema.drop();
});

/** Polls until `check` holds (the replay runs every second). */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let waited = 0; waited < 10_000; waited += 100) {
    if (await check()) return;
    await sleep(100);
  }
  assert.fail(`never: ${what}`);
}

const heldRows = () => schema.query<{ id: string }>("SELECT id FROM quota_reservations");

test("a settle cut by a database blip is replayed: usage counted once, the hold released, no quota_reserved", async () => {
  const store = await createPostgresStore({ url, schema: schema.schema, ...timeouts });
  const config = parseConfig({
    pepper: "p".repeat(40),
    dataDir: createTempDir(),
    plans: { free: { limits: [{ meter: "requests", period: "day", limit: 2 }] } },
    defaultPlan: "free",
    metering: { reservationWaitMs: 0 },
  });
  const failures: unknown[] = [];
  const admission = createAdmissionControl({
    config,
    counters: store.counters,
    limiter: createLocalRateLimiter(),
    observer: { onSettleFailed: (error) => failures.push(error) },
  });
  const request = {
    userId: "bob",
    plan: null,
    feature: "chat",
    source: "operator" as const,
    stream: false,
    maxOutputTokens: 10,
  };
  try {
    const first = await admission.admit(request);
    proxy.refuse();
    proxy.cut();
    first.settle({ inputTokens: 5, outputTokens: 5, audioSeconds: 0 }, true);
    await eventually(async () => failures.length === 1, "the settle failed");
    assert.equal((await heldRows()).length, 1, "the hold stays while the database is away");
    proxy.allow();
    await eventually(async () => (await heldRows()).length === 0, "the replay released the hold");
    const used = await schema.query<{ used: number }>("SELECT used FROM quota_counters");
    assert.deepEqual(
      used.map((row) => Number(row.used)),
      [1],
    );
    const second = await admission.admit(request);
    second.settle(null, true);
    await eventually(async () => (await heldRows()).length === 0, "the second call settled");
    // Two requests committed: the third is refused as spent (402), not as held by a stale reservation (429).
    await assert.rejects(admission.admit(request), (error: { status?: number; type?: string }) => {
      assert.equal(error.status, 402);
      assert.equal(error.type, "quota_exceeded");
      return true;
    });
  } finally {
    proxy.allow();
    await store.close();
  }
});

/** A pool whose transactions commit on the server, then lose the answer to COMMIT (muted, then cut). */
function losingCommitAnswers(pool: PostgresPool, lose: () => boolean): PostgresPool {
  return {
    ...pool,
    query: pool.query.bind(pool),
    close: pool.close.bind(pool),
    transaction: (work) =>
      pool.transaction(async (client) => {
        const result = await work(client);
        if (lose()) {
          proxy.mute(true); // COMMIT is sent and runs; its answer never arrives
          setTimeout(() => {
            proxy.cut();
            proxy.mute(false);
          }, 300);
        }
        return result;
      }),
  };
}

test("a replay after a commit whose answer was lost counts nothing more; close flushes what is pending", async () => {
  const pool = openPostgresPool({
    url,
    schema: schema.schema,
    poolMax: 2,
    idleTimeoutMs: 30_000,
    ...timeouts,
  });
  await migratePostgres(pool);
  let loseNext = true;
  const counters = createDurableQuotaCounters(
    createPostgresQuotaCounterRepository(
      losingCommitAnswers(pool, () => {
        const lose = loseNext;
        loseNext = false;
        return lose;
      }),
    ),
    { replayEveryMs: 60_000 },
  );
  const key = counterKey("lost-answer", "tokens");
  const now = Date.now();
  const lease = { now, expiresAt: now + 15 * 60_000 };
  try {
    loseNext = false;
    await counters.reserve("lost-answer-1", [{ key, amount: 50, fit: 1, limit: 1000 }], lease);
    loseNext = true;
    await assert.rejects(counters.settle("lost-answer-1", [{ key, delta: 7 }]));
    assert.equal(counters.pendingSettles, 1);
    // The commit did land: the usage is counted and the hold released already.
    assert.deepEqual(await counters.readState([key], now), [{ committed: 7, reserved: 0 }]);
    await counters.replaySettles();
    assert.equal(counters.pendingSettles, 0);
    assert.deepEqual(await counters.readState([key], now), [{ committed: 7, reserved: 0 }], "counted once");

    // A settle that never ran (the database refused) is flushed by close while the database is back.
    await counters.reserve("lost-answer-2", [{ key, amount: 50, fit: 1, limit: 1000 }], lease);
    proxy.refuse();
    proxy.cut();
    await assert.rejects(counters.settle("lost-answer-2", [{ key, delta: 4 }]));
    proxy.allow();
    await counters.close();
    assert.equal(counters.pendingSettles, 0);
    const rows = await schema.query<{ used: number }>("SELECT used FROM quota_counters WHERE user_id = $1", [
      key.userId,
    ]);
    assert.deepEqual(
      rows.map((row) => Number(row.used)),
      [11],
    );
  } finally {
    proxy.allow();
    await counters.close();
    await pool.close();
  }
});
