/**
 * @module test/store/redis/redis-lease-clock.test
 * Leases on Redis are timed by Redis's clock (`TIME`): a replica whose clock is a lease ahead does not
 * sweep another's live hold (lease-clock-skew.ts); three connections on one key prefix, as replicas.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createRedisQuotaCounters } from "../../../src/store/create-redis-quota-counters.ts";
import { openRedisConnection, type RedisConnection } from "../../../src/store/redis/open-redis-connection.ts";
import { createSqliteStore } from "../../../src/store/sqlite/create-sqlite-store.ts";
import { openQuotaFence, openTestRedis } from "../../support/test-redis.ts";
import { leaseClockSkew } from "../lease-clock-skew.ts";

const redis = await openTestRedis();
const durable = createSqliteStore({ path: ":memory:" });
const connections: RedisConnection[] = [];
const opened: Array<{ close(): Promise<void> }> = [];
after(async () => {
  for (const counters of opened) await counters.close();
  for (const connection of connections) await connection.close();
  await durable.close();
  await redis.close();
});

const prefix = `${redis.prefix}lease-clock:`;
await openQuotaFence(redis.client, prefix);

async function open(clock?: "caller") {
  const connection = await openRedisConnection({
    url: redis.url,
    keyPrefix: prefix,
    connectTimeoutMs: 1000,
    commandTimeoutMs: 2000,
  });
  connections.push(connection);
  const counters = createRedisQuotaCounters({
    connection,
    durable: durable.counters,
    ...(clock ? { clock } : {}),
  });
  opened.push(counters);
  return counters;
}

const replicas = { a: await open(), b: await open(), caller: await open("caller") };
leaseClockSkew("redis", async () => replicas);

test("a hold Redis lost, put back by its replica's renew, is timed by Redis's clock too", async () => {
  const key = { userId: `skew-restore-${Date.now()}`, meter: "requests" as const, scope: "", periodStart: 0 };
  const one = [{ key, amount: 1, fit: 1, limit: 1 }];
  const lease = (now: number) => ({ now, expiresAt: now + 900_000 });
  assert.deepEqual(await replicas.a.reserve("a-restored", one, lease(Date.now())), { ok: true });
  // Redis loses the hold (the epoch stays: no fence); A's renew finds it gone and re-sends it.
  const lost = (await redis.keys()).filter(
    (name) => name.startsWith(prefix) && !name.endsWith("quota-epoch"),
  );
  await redis.client.del(...lost);
  assert.equal(await replicas.a.renew("a-restored", lease(Date.now())), 1);
  const ahead = await replicas.b.reserve("b-ahead", one, lease(Date.now() + 901_000));
  assert.equal(ahead.ok === false && ahead.reason, "held", "the re-sent hold is live on Redis's clock");
  await replicas.a.settle("a-restored", [{ key, delta: 1 }]);
  assert.deepEqual(await replicas.b.readState([key], Date.now()), [{ committed: 1, reserved: 0 }]);
});
