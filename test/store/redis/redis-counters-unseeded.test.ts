/**
 * @module test/store/redis/redis-counters-unseeded
 * A counter whose seed never sticks in Redis (evicted as soon as written, writes lost in a failover) is
 * refused as unavailable after a few tries: never admitted unchecked.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { GatewayError } from "../../../src/errors/gateway-error.ts";
import { createRedisQuotaCounters } from "../../../src/store/create-redis-quota-counters.ts";
import { openRedisConnection, type RedisConnection } from "../../../src/store/redis/open-redis-connection.ts";
import { SEED } from "../../../src/store/redis/quota-scripts.ts";
import { createSqliteStore } from "../../../src/store/sqlite/create-sqlite-store.ts";
import { openQuotaFence, openTestRedis } from "../../support/test-redis.ts";
import { counterKey } from "../counter-conformance.ts";

const redis = await openTestRedis();
await openQuotaFence(redis.client, `${redis.prefix}unseeded:`);
const real = await openRedisConnection({
  url: redis.url,
  keyPrefix: `${redis.prefix}unseeded:`,
  connectTimeoutMs: 1000,
  commandTimeoutMs: 2000,
});
const durable = createSqliteStore({ path: ":memory:" });
after(async () => {
  await real.close();
  durable.close();
  await redis.close();
});

test("seeds that never stick end in quota_unavailable, not in an unchecked pass", async () => {
  let seeds = 0;
  // The real connection, except that every seed write is lost.
  const losing: RedisConnection = Object.assign(Object.create(real) as RedisConnection, {
    run: (
      script: Parameters<RedisConnection["run"]>[0],
      keys: readonly string[],
      args: readonly (string | number)[],
    ) => {
      if (script === SEED) {
        seeds += 1;
        return Promise.resolve("OK");
      }
      return real.run(script, keys, args);
    },
  });
  const key = counterKey("unseeded-user", "requests");
  await durable.counters.adjust(key, 1_000); // far over the limit below
  const counters = createRedisQuotaCounters({ connection: losing, durable: durable.counters });
  const isUnavailable = (error: unknown) =>
    error instanceof GatewayError && error.type === "quota_unavailable";
  await assert.rejects(counters.tryCharge([{ key, amount: 1, limit: 10 }]), isUnavailable);
  await assert.rejects(
    counters.reserve("unseeded", [{ key, amount: 1, fit: 1, limit: 10 }], { now: 0, expiresAt: 60_000 }),
    isUnavailable,
  );
  assert.ok(seeds >= 2, "seeding was tried");
});
