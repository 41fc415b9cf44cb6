/**
 * @module test/store/redis/redis-counters-durable-copy
 * The durable copy (PostgreSQL) of the Redis counters after a database blip: every committed change that
 * failed to reach it is replayed until it lands, once (a copy whose answer was lost counts once), so a Redis
 * that lost its data is seeded again with the right value; a copy too old to replay safely is dropped, counted.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { createRedisQuotaCounters } from "../../../src/store/create-redis-quota-counters.ts";
import type { ReplayDropReason } from "../../../src/store/create-replay-queue.ts";
import { createPostgresStore } from "../../../src/store/index.ts";
import { createPostgresQuotaCounterRepository } from "../../../src/store/postgres/create-postgres-quota-counter-repository.ts";
import { openPostgresPool, type PostgresPool } from "../../../src/store/postgres/open-postgres-pool.ts";
import { migratePostgres } from "../../../src/store/postgres/postgres-migrations.ts";
import { openRedisConnection } from "../../../src/store/redis/open-redis-connection.ts";
import { createTestSchema } from "../../support/postgres.ts";
import { startTcpProxy } from "../../support/tcp-proxy.ts";
import { openQuotaFence, openTestRedis } from "../../support/test-redis.ts";
import { counterKey } from "../counter-conformance.ts";

const redis = await openTestRedis();
const prefix = `${redis.prefix}durable-copy:`;
const connection = await openRedisConnection({
  url: redis.url,
  keyPrefix: prefix,
  connectTimeoutMs: 1000,
  commandTimeoutMs: 1000,
});
const schema = await createTestSchema();
const proxy = await startTcpProxy({ host: "127.0.0.1", port: 5432 });
const proxiedUrl = `postgres://postgres@127.0.0.1:${proxy.port}${new URL(schema.url).pathname}`;
const timeouts = { connectTimeoutMs: 1000, statementTimeoutMs: 1000 };
const store = await createPostgresStore({ url: schema.url, schema: schema.schema, ...timeouts });
after(async () => {
  await store.close();
  await connection.close();
  await proxy.close();
  await schema.drop();
  await redis.close();
});

/** Polls `check` until it holds (the replays run every second); fails with `what` after 15 s. */
async function eventually(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`never: ${what}`);
    await sleep(25);
  }
}

/** What the durable copy holds for `userId`, read by a session of its own. */
async function durableUsed(userId: string): Promise<number> {
  const rows = await schema.query<{ used: number }>("SELECT used FROM quota_counters WHERE user_id = $1", [
    userId,
  ]);
  return rows.length === 0 ? 0 : Number(rows[0]!.used);
}

/** A second session holding `quota_counters` in ACCESS EXCLUSIVE mode until `release()`: the store's writes time out. */
async function lockCounters(): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: schema.url });
  client.on("error", () => undefined);
  await client.connect();
  await client.query("BEGIN");
  await client.query(`LOCK TABLE ${schema.schema}.quota_counters IN ACCESS EXCLUSIVE MODE`);
  return {
    async release() {
      await client.query("ROLLBACK");
      await client.end();
    },
  };
}

/** Deletes every key the counters wrote (a Redis restart without persistence, for this prefix only). */
async function loseRedisData(): Promise<void> {
  const keys = (await redis.keys()).filter((key) => key.startsWith(prefix));
  if (keys.length > 0) await redis.client.del(...keys);
}

test("after a database blip the durable copy catches up to exactly Redis's value, and a reseeded counter reads it", async () => {
  // A steady prefix (an epoch already there), not a first start: reserves are not fenced.
  await openQuotaFence(redis.client, prefix);
  const key = counterKey("blip-user", "requests");
  const failures: unknown[] = [];
  let replayed = 0;
  const dropped: ReplayDropReason[] = [];
  const counters = createRedisQuotaCounters({
    connection,
    durable: store.counters,
    onDurableFailed: (error) => failures.push(error),
    onMirrorReplayed: (count) => {
      replayed += count;
    },
    onMirrorDropped: (_count, reason) => dropped.push(reason),
  });
  const lease = () => ({ now: Date.now(), expiresAt: Date.now() + 15 * 60_000 });
  const call = async (id: string) => {
    await counters.reserve(id, [{ key, amount: 1, fit: 1, limit: 100 }], lease());
    await counters.settle(id, [{ key, delta: 1 }]);
  };
  try {
    for (const id of ["before-1", "before-2", "before-3"]) await call(id);
    assert.equal(await durableUsed(key.userId), 3);

    const lock = await lockCounters();
    try {
      await Promise.all(["during-1", "during-2", "during-3", "during-4"].map(call));
      await eventually(() => failures.length >= 4, "the four copies failed");
      assert.deepEqual(await counters.read([key]), [7], "Redis counted the calls served during the blip");
      assert.equal(replayed, 0);
    } finally {
      await lock.release();
    }

    await eventually(() => replayed === 4, "the four copies were replayed");
    assert.equal(await durableUsed(key.userId), 7, "the durable copy caught up to exactly Redis's value");
    assert.deepEqual(dropped, []);
    const reservations = await schema.query("SELECT id FROM quota_reservations");
    assert.deepEqual(
      reservations,
      [],
      "a copy holds no reservation (its id is unknown to the durable store)",
    );
    const markers = await schema.query<{ id: string }>("SELECT id FROM quota_settled ORDER BY id");
    assert.equal(markers.length, 7, "one marker row per copied call");
    assert.ok(markers.every((row) => row.id.startsWith("m:s:")));

    await loseRedisData();
    assert.deepEqual(
      await counters.read([key]),
      [7],
      "seeded again from the durable copy: nothing given back",
    );
  } finally {
    await counters.close();
  }
});

/** A pool whose next transaction commits on the server but loses the answer to COMMIT (muted, then cut). */
function losingNextCommitAnswer(pool: PostgresPool): { pool: PostgresPool; loseNext(): void } {
  let lose = false;
  return {
    loseNext: () => {
      lose = true;
    },
    pool: {
      ...pool,
      query: pool.query.bind(pool),
      close: pool.close.bind(pool),
      transaction: (work) =>
        pool.transaction(async (client) => {
          const result = await work(client);
          if (lose) {
            lose = false;
            proxy.mute(true); // COMMIT is sent and runs; its answer never arrives
            setTimeout(() => {
              proxy.cut();
              proxy.mute(false);
            }, 300);
          }
          return result;
        }),
    },
  };
}

test("a copy whose first write committed but lost its answer is replayed and counted once", async () => {
  // A steady prefix (an epoch already there), not a first start: reserves are not fenced.
  await openQuotaFence(redis.client, prefix);
  const pool = openPostgresPool({
    url: proxiedUrl,
    schema: schema.schema,
    poolMax: 2,
    idleTimeoutMs: 30_000,
    ...timeouts,
  });
  await migratePostgres(pool);
  const losing = losingNextCommitAnswer(pool);
  const key = counterKey("lost-copy-user", "tokens");
  const failures: unknown[] = [];
  let replayed = 0;
  const counters = createRedisQuotaCounters({
    connection,
    durable: createPostgresQuotaCounterRepository(losing.pool),
    onDurableFailed: (error) => failures.push(error),
    onMirrorReplayed: (count) => {
      replayed += count;
    },
  });
  try {
    const now = Date.now();
    await counters.reserve("lost-copy", [{ key, amount: 50, fit: 1, limit: 1000 }], {
      now,
      expiresAt: now + 15 * 60_000,
    });
    losing.loseNext();
    await counters.settle("lost-copy", [{ key, delta: 5 }]);
    assert.equal(failures.length, 1, "the copy's write failed (as far as the replica could tell)");
    assert.equal(await durableUsed(key.userId), 5, "it had committed");
    await eventually(() => replayed === 1, "the copy was replayed");
    assert.equal(await durableUsed(key.userId), 5, "counted once, not twice");
    assert.deepEqual(await counters.read([key]), [5]);
  } finally {
    proxy.allow();
    await counters.close();
    await pool.close();
  }
});

test("a copy pending longer than its replay window is dropped and counted, never replayed; close reports the rest", async () => {
  // A steady prefix (an epoch already there), not a first start: reserves are not fenced.
  await openQuotaFence(redis.client, prefix);
  const pool = openPostgresPool({
    url: proxiedUrl,
    schema: schema.schema,
    poolMax: 2,
    idleTimeoutMs: 30_000,
    ...timeouts,
  });
  await migratePostgres(pool);
  const key = counterKey("old-copy-user", "tokens");
  const dropped: [number, ReplayDropReason][] = [];
  const counters = createRedisQuotaCounters({
    connection,
    durable: createPostgresQuotaCounterRepository(pool),
    mirrorReplayForMs: 300,
    onMirrorDropped: (count, reason) => dropped.push([count, reason]),
  });
  try {
    assert.deepEqual(await counters.read([key]), [0]); // seeded while the database answers
    proxy.refuse();
    proxy.cut();
    assert.deepEqual(await counters.tryCharge([{ key, amount: 4, limit: 100 }]), { ok: true });
    await eventually(() => dropped.length === 1, "the old copy was dropped");
    assert.deepEqual(dropped, [[1, "age"]]);
    await counters.adjust(key, 2);
    await counters.close();
    assert.deepEqual(dropped, [
      [1, "age"],
      [1, "close"],
    ]);
    proxy.allow();
    assert.equal(await durableUsed(key.userId), 0, "neither reached the durable copy");
    assert.deepEqual(await counters.read([key]), [6], "Redis holds both");
  } finally {
    proxy.allow();
    await counters.close();
    await pool.close();
  }
});
