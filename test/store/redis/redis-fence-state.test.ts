/**
 * @module test/store/redis/redis-fence-state
 * The fence's check script on real Redis: this replica's newest hold counts as present when it is in its
 * reservations hash, or when its call's settle marker is there (settled in Redis, the answer on its way),
 * and as missing only when neither is (a failover to a copy that lagged).
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { openRedisConnection } from "../../../src/store/redis/open-redis-connection.ts";
import { FENCE_STATE } from "../../../src/store/redis/quota-fence-scripts.ts";
import { openQuotaFence, openTestRedis } from "../../support/test-redis.ts";

const redis = await openTestRedis();
const prefix = `${redis.prefix}fence-state:`;
const connection = await openRedisConnection({
  url: redis.url,
  keyPrefix: prefix,
  connectTimeoutMs: 1000,
  commandTimeoutMs: 2000,
});
after(async () => {
  await connection.close();
  await redis.close();
});

test("the newest hold is present in its hash, or settled (its marker); missing only when neither", async () => {
  await openQuotaFence(redis.client, prefix);
  const fenceKeys = [connection.fixedKey("quota-epoch"), connection.fixedKey("quota-fence")];
  const held = connection.key("quota-held", "k");
  const marker = connection.key("quota-settled", "call-1");
  const id = connection.hash("call-1");
  const presentNow = async () =>
    Number(((await connection.run(FENCE_STATE, [...fenceKeys, held, marker], [1000, id])) as unknown[])[2]);
  await redis.client.hset(held, id, "1:99999999999999");
  assert.equal(await presentNow(), 1, "in its hash");
  await redis.client.hdel(held, id);
  await redis.client.set(marker, "1", "PX", 60_000);
  assert.equal(await presentNow(), 1, "settled: the marker is there");
  await redis.client.del(marker);
  assert.equal(await presentNow(), 0, "neither: lost");
});

test("a lease of no length, or past a timer's range, is refused before anything is written", async () => {
  const { createRedisQuotaCounters } = await import("../../../src/store/create-redis-quota-counters.ts");
  const { createSqliteStore } = await import("../../../src/store/sqlite/create-sqlite-store.ts");
  const durable = createSqliteStore({ path: ":memory:" });
  const counters = createRedisQuotaCounters({ connection, durable: durable.counters });
  try {
    const key = { userId: "lease-bounds", meter: "requests" as const, scope: "*", periodStart: 0 };
    const one = [{ key, amount: 1, fit: 1, limit: 1 }];
    const now = Date.now();
    for (const expiresAt of [now, now - 5000, now + 1e17]) {
      await assert.rejects(counters.reserve("bad-lease", one, { now, expiresAt }), RangeError);
      await assert.rejects(counters.renew("bad-lease", { now, expiresAt }), RangeError);
    }
    const left = (await redis.keys()).filter(
      (name) => name.startsWith(prefix) && name.includes("quota-held"),
    );
    assert.deepEqual(left, [], "nothing written");
  } finally {
    await counters.close();
    await durable.close();
  }
});
