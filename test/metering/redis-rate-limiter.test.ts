/**
 * @module test/metering/redis-rate-limiter
 * The Redis rate limiter against the real Redis: the shared contract, exactness across replicas, slot leases
 * that renew while held and come back when their holder is gone, and the fallback while Redis is away.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createLocalRateLimiter } from "../../src/metering/rate-limits/create-local-rate-limiter.ts";
import { createRedisRateLimiter } from "../../src/metering/rate-limits/create-redis-rate-limiter.ts";
import { createRedisRateOperations } from "../../src/store/redis/create-redis-rate-operations.ts";
import { openRedisConnection, type RedisConnection } from "../../src/store/redis/open-redis-connection.ts";
import { startTcpProxy } from "../support/tcp-proxy.ts";
import { openTestRedis, type TestRedis, waitForStatus } from "../support/test-redis.ts";
import { MINUTE, rateLimiterContract } from "./rate-limiter-conformance.ts";

let redis: TestRedis;
const connections: RedisConnection[] = [];
let prefixes = 0;

async function connect(options: { url?: string; prefix?: string } = {}): Promise<RedisConnection> {
  const connection = await openRedisConnection({
    url: options.url ?? redis.url,
    keyPrefix: options.prefix ?? `${redis.prefix}${++prefixes}:`,
    connectTimeoutMs: 1000,
    commandTimeoutMs: 1000,
  });
  connections.push(connection);
  return connection;
}

function limiterOn(connection: RedisConnection, now?: () => number, slotLeaseMs = 30_000) {
  return createRedisRateLimiter({
    operations: createRedisRateOperations(connection, now),
    fallback: createLocalRateLimiter(now === undefined ? {} : { now }),
    isUp: () => connection.status === "up",
    slotLeaseMs,
  });
}

before(async () => {
  redis = await openTestRedis();
});
after(async () => {
  for (const connection of connections) await connection.close();
  await redis.close();
});

rateLimiterContract("redis", async (clock) => limiterOn(await connect(), clock.now));

describe("redis rate limiter across replicas", () => {
  test("three replicas, 60 simultaneous hits against a limit of 10: exactly 10 pass", async () => {
    const prefix = `${redis.prefix}shared:`;
    const replicas = [
      limiterOn(await connect({ prefix })),
      limiterOn(await connect({ prefix })),
      limiterOn(await connect({ prefix })),
    ];
    const decisions = await Promise.all(
      Array.from({ length: 60 }, (_, index) => replicas[index % 3]!.hit("user-x", 10, MINUTE)),
    );
    assert.equal(decisions.filter((decision) => decision.ok).length, 10);
    const slots = await Promise.all(
      Array.from({ length: 30 }, (_, index) => replicas[index % 3]!.acquire("user-x", 4)),
    );
    assert.equal(slots.filter((slot) => slot.ok).length, 4);
  });

  test("keys are hashed: the caller's key never appears in Redis", async () => {
    const connection = await connect();
    const limiter = limiterOn(connection);
    await limiter.hit("ip:203.0.113.9", 5, MINUTE);
    await limiter.acquire("rpm:secret-user", 1);
    const keys = await redis.keys();
    assert.ok(keys.length > 0);
    for (const key of keys) assert.doesNotMatch(key, /203\.0\.113\.9|secret-user/);
  });

  test("a held slot's lease is renewed past its first end; a holder that stops renewing gives it back", async () => {
    const connection = await connect();
    const leaseMs = 300;
    const holder = limiterOn(connection, undefined, leaseMs);
    const slot = await holder.acquire("streams:u", 1);
    assert.equal(slot.ok, true);
    const [key] = (await redis.keys()).filter((each) => each.startsWith(`${redis.prefix}${prefixes}:slots:`));
    assert.ok(key);
    const [member, first] = await redis.client.zrange(key, 0, 0, "WITHSCORES");
    // Wait for the renewal itself (the lease's end moves), not for a fixed time.
    for (;;) {
      const score = await redis.client.zscore(key, member!);
      if (Number(score) > Number(first)) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal((await holder.acquire("streams:u", 1)).ok, false, "still held after renewal");
    // A dead holder (its lease set to end now, as if it stopped renewing long ago): the slot comes back.
    if (slot.ok) slot.release();
    const fake = createRedisRateOperations(connection, () => 1_000);
    assert.equal(await fake.takeSlot("streams:dead", 1, 1_000, "dead-holder"), true);
    const later = createRedisRateOperations(connection, () => 2_000);
    assert.equal(await later.takeSlot("streams:dead", 1, 1_000, "next"), true, "the ended lease is dropped");
    assert.equal(await later.renewSlot("streams:dead", 1_000, "dead-holder"), false, "not revived");
  });
});

describe("redis rate limiter while Redis is away", () => {
  test("degrades to the local limiter once (one transition each way) and comes back on its own", async () => {
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(redis.url).port) });
    try {
      const connection = await connect({ url: `redis://127.0.0.1:${proxy.port}` });
      const transitions: boolean[] = [];
      const limiter = createRedisRateLimiter({
        operations: createRedisRateOperations(connection),
        fallback: createLocalRateLimiter(),
        isUp: () => connection.status === "up",
        slotLeaseMs: 30_000,
        onDegraded: (degraded) => transitions.push(degraded),
      });
      assert.equal((await limiter.hit("user-d", 2, MINUTE)).ok, true);
      const down = waitForStatus(connection, "down");
      proxy.refuse();
      proxy.cut();
      await down;
      // Local windows start empty: two more pass locally, the third is refused locally.
      assert.equal((await limiter.hit("user-d", 2, MINUTE)).ok, true);
      assert.equal((await limiter.hit("user-d", 2, MINUTE)).ok, true);
      assert.equal((await limiter.hit("user-d", 2, MINUTE)).ok, false);
      assert.equal((await limiter.acquire("streams:user-d", 1)).ok, true);
      assert.deepEqual(transitions, [true]);
      assert.equal(limiter.degraded, true);
      proxy.allow();
      await waitForStatus(connection, "up");
      // Back on Redis: the shared window still holds the first event (limit 2: one more passes).
      assert.equal((await limiter.hit("user-d", 2, MINUTE)).ok, true);
      assert.equal((await limiter.hit("user-d", 2, MINUTE)).ok, false);
      assert.deepEqual(transitions, [true, false]);
    } finally {
      await proxy.close();
    }
  });
});

describe("redis rate limiter when an answer is lost", () => {
  test("a slot whose take ran on Redis but whose answer was lost is given back, not held until its lease ends", async () => {
    const target = new URL(redis.url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    const prefix = `${redis.prefix}lost-slot:`;
    const lossy = await openRedisConnection({
      url: `redis://127.0.0.1:${proxy.port}`,
      keyPrefix: prefix,
      connectTimeoutMs: 1000,
      commandTimeoutMs: 200,
    });
    const observer = limiterOn(await connect({ prefix }));
    try {
      const limiter = limiterOn(lossy);
      proxy.mute(true); // Redis runs what it is sent; its answers are lost on the way back
      const taken = await limiter.acquire("lost-slot-user", 1); // falls back to the local limiter
      assert.equal(taken.ok, true);
      if (taken.ok) taken.release();
      // The slot the lost take held in Redis comes back once the release sent after it has run.
      const deadline = Date.now() + 10_000;
      let probe = await observer.acquire("lost-slot-user", 1);
      while (!probe.ok && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        probe = await observer.acquire("lost-slot-user", 1);
      }
      assert.equal(probe.ok, true, "the lost take no longer holds the only slot");
      if (probe.ok) probe.release();
    } finally {
      proxy.cutAll(); // the answers it lost would desynchronize that connection
      proxy.mute(false);
      await lossy.close();
      await proxy.close();
    }
  });
});
