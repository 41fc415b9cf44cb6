/**
 * @module test/store/redis/redis-invalidation-bus
 * The Redis invalidation bus against the real Redis: every replica hears a change, local listeners at once;
 * a cut subscription makes the bus untrusted and resyncs caches, and it comes back on its own.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createEnrollmentCache } from "../../../src/enrollment/create-enrollment-cache.ts";
import { createRedisInvalidationBus } from "../../../src/store/create-redis-invalidation-bus.ts";
import type { Invalidation, InvalidationBus } from "../../../src/store/invalidation-bus.ts";
import { openRedisConnection, type RedisConnection } from "../../../src/store/redis/open-redis-connection.ts";
import { createSqliteStore } from "../../../src/store/sqlite/create-sqlite-store.ts";
import { startTcpProxy, type TcpProxy } from "../../support/tcp-proxy.ts";
import { openTestRedis, type TestRedis } from "../../support/test-redis.ts";

let redis: TestRedis;
const connections: RedisConnection[] = [];
const buses: InvalidationBus[] = [];

async function open(url = redis.url): Promise<{ connection: RedisConnection; bus: InvalidationBus }> {
  const connection = await openRedisConnection({
    url,
    keyPrefix: redis.prefix,
    connectTimeoutMs: 1000,
    commandTimeoutMs: 1000,
  });
  const bus = await createRedisInvalidationBus({ connection });
  connections.push(connection);
  buses.push(bus);
  return { connection, bus };
}

function next(bus: InvalidationBus, match: (message: Invalidation) => boolean): Promise<Invalidation> {
  return new Promise((resolve) => {
    const stop = bus.subscribe((message) => {
      if (!match(message)) return;
      stop();
      resolve(message);
    });
  });
}

before(async () => {
  redis = await openTestRedis();
});
after(async () => {
  for (const bus of buses) await bus.close();
  for (const connection of connections) await connection.close();
  await redis.close();
});

test("a change published on one replica reaches the others; local listeners hear it before publish returns", async () => {
  const [a, b, c] = [await open(), await open(), await open()];
  assert.equal(a.bus.trusted, true);
  const heardLocally: Invalidation[] = [];
  a.bus.subscribe((message) => heardLocally.push(message));
  const onB = next(b.bus, (message) => message.topic === "user");
  const onC = next(c.bus, (message) => message.topic === "user");
  const publishing = a.bus.publish({ topic: "user", userId: "u-1", cut: "user_revoked" });
  assert.deepEqual(heardLocally, [{ topic: "user", userId: "u-1", cut: "user_revoked" }]);
  await publishing;
  assert.deepEqual(await onB, { topic: "user", userId: "u-1", cut: "user_revoked" });
  assert.deepEqual(await onC, { topic: "user", userId: "u-1", cut: "user_revoked" });
  assert.equal(heardLocally.length, 1, "a replica does not hear its own message twice");
});

test("a lost subscription: untrusted, caches emptied and bypassed; back on its own with a second resync", async () => {
  const proxy: TcpProxy = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(redis.url).port) });
  try {
    const replica = await open(`redis://127.0.0.1:${proxy.port}`);
    const publisher = await open();
    const store = createSqliteStore({ path: ":memory:" });
    const enrollment = {
      userId: "e-1",
      customBaseUrl: null,
      customModel: null,
      enrolledAt: 1,
      lastSeenAt: 1,
    };
    await store.enrollments.put({ ...enrollment, fingerprints: {} });
    const cache = createEnrollmentCache({ store, bus: replica.bus, max: 100 });
    await cache.get("e-1");
    assert.equal(cache.size, 1);

    const down = next(replica.bus, (message) => message.topic === "resync");
    proxy.refuse();
    proxy.cut();
    await down;
    assert.equal(replica.bus.trusted, false);
    assert.equal(cache.size, 0, "emptied when the subscription was lost");
    // While down, a deletion elsewhere is missed by the channel, yet the cache never serves stale data.
    await store.enrollments.delete("e-1");
    await publisher.bus.publish({ topic: "enrollment", userId: "e-1", cut: "enrollment_changed" });
    assert.equal(await cache.get("e-1"), null);
    assert.equal(cache.size, 0, "nothing is kept while untrusted");

    const up = next(replica.bus, (message) => message.topic === "resync");
    proxy.allow();
    await up;
    assert.equal(replica.bus.trusted, true);
    const heard = next(replica.bus, (message) => message.topic === "user");
    await publisher.bus.publish({ topic: "user", userId: "back" });
    assert.deepEqual(await heard, { topic: "user", userId: "back" });
    await store.close();
  } finally {
    await proxy.close();
  }
});

test("messages on the channel carry a user id and what changed, nothing else; malformed ones are ignored", async () => {
  const { bus } = await open();
  const seen: Invalidation[] = [];
  bus.subscribe((message) => seen.push(message));
  const channel = `${redis.prefix}invalidations`;
  const heard = next(bus, (message) => message.topic === "enrollment");
  await redis.client.publish(channel, "not json");
  await redis.client.publish(channel, JSON.stringify({ origin: "x", topic: "admin", userId: "u" }));
  await redis.client.publish(channel, JSON.stringify({ origin: "x", topic: "enrollment", userId: "ok" }));
  await heard;
  assert.deepEqual(seen, [{ topic: "enrollment", userId: "ok" }]);
});
