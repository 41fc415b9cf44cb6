/**
 * @module test/store/redis/redis-counters-conformance
 * The quota counter and reservation conformance suites against the Redis counters (a durable SQLite store
 * beside them), two replicas on one Redis included; then seeding from the durable store after Redis lost
 * its data, and the durable copy kept in step.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { createRedisQuotaCounters } from "../../../src/store/create-redis-quota-counters.ts";
import { openRedisConnection, type RedisConnection } from "../../../src/store/redis/open-redis-connection.ts";
import { createSqliteStore } from "../../../src/store/sqlite/create-sqlite-store.ts";
import type { Store } from "../../../src/store/store-types.ts";
import { createTempDir } from "../../support/start-gateway.ts";
import { openQuotaFence, openTestRedis, type TestRedis } from "../../support/test-redis.ts";
import { counterConformance, counterKey } from "../counter-conformance.ts";
import { reservationConformance } from "../reservation-conformance.ts";
import { reservationProperties } from "../reservation-properties.ts";

// The suites register their tests synchronously: Redis and the connections are opened first.
const redis: TestRedis = await openTestRedis();
const connections: RedisConnection[] = [];

async function connect(prefix: string): Promise<RedisConnection> {
  await openQuotaFence(redis.client, prefix);
  const connection = await openRedisConnection({
    url: redis.url,
    keyPrefix: prefix,
    connectTimeoutMs: 1000,
    commandTimeoutMs: 2000,
  });
  connections.push(connection);
  return connection;
}

/**
 * A SQLite store whose counters are the Redis ones (the durable copy is that same SQLite store's). The
 * suites move fake times (T = 2026-01-01) to end leases: the counters read leases on the caller's clock.
 */
function withRedisCounters(durable: Store, connection: RedisConnection): Store {
  const counters = createRedisQuotaCounters({ connection, durable: durable.counters, clock: "caller" });
  return { ...durable, counters };
}

after(async () => {
  for (const connection of connections) await connection.close();
  await redis.close();
});

describe("Store conformance: redis counters", async () => {
  const prefix = () => `${redis.prefix}${Math.random().toString(36).slice(2)}:`;
  const shared = prefix();
  const store = withRedisCounters(createSqliteStore({ path: ":memory:" }), await connect(prefix()));
  const twinPrefix = prefix();
  const twinConnections = [await connect(twinPrefix), await connect(twinPrefix)] as const;
  const openTwin = async (): Promise<readonly [Store, Store]> => {
    const path = join(createTempDir(), "durable.sqlite");
    return [
      withRedisCounters(createSqliteStore({ path }), twinConnections[0]),
      withRedisCounters(createSqliteStore({ path }), twinConnections[1]),
    ];
  };
  after(() => store.close());
  counterConformance(store, openTwin);
  reservationConformance(store, openTwin);

  test("a counter Redis does not hold is seeded from the durable store; every committed change reaches both", async () => {
    const durable = createSqliteStore({ path: ":memory:" });
    const connection = await connect(shared);
    const counters = createRedisQuotaCounters({ connection, durable: durable.counters });
    const key = counterKey("seeded", "tokens");
    await durable.counters.adjust(key, 40); // usage committed before Redis held anything
    assert.deepEqual(await counters.tryCharge([{ key, amount: 5, limit: 50 }]), { ok: true });
    assert.deepEqual(await counters.read([key]), [45]);
    assert.deepEqual(await durable.counters.read([key]), [45], "the durable copy follows");
    await counters.settle("gone", [{ key, delta: 3 }]);
    assert.deepEqual(await durable.counters.read([key]), [48]);
    // Redis loses its data (it runs without persistence): the next touch seeds from the durable copy.
    const keys = await redis.client.keys(`${shared}*`);
    await redis.client.del(...keys);
    assert.deepEqual(await counters.tryCharge([{ key, amount: 3, limit: 50 }]), {
      ok: false,
      key,
      used: 48,
      limit: 50,
    });
    await durable.close();
  });
});

reservationProperties("redis", async () =>
  withRedisCounters(createSqliteStore({ path: ":memory:" }), await connect(`${redis.prefix}properties:`)),
);
