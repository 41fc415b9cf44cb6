/**
 * @module test/metering/redis-slot-lease-process
 * A process holding a concurrency slot on Redis is killed with SIGKILL: its lease, renewed while it lived,
 * ends on its own and the slot comes back within one lease.
 */
import assert from "node:assert/strict";
import { fork } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import { createLocalRateLimiter } from "../../src/metering/rate-limits/create-local-rate-limiter.ts";
import { createRedisRateLimiter } from "../../src/metering/rate-limits/create-redis-rate-limiter.ts";
import { createRedisRateOperations } from "../../src/store/redis/create-redis-rate-operations.ts";
import { openRedisConnection } from "../../src/store/redis/open-redis-connection.ts";
import { openTestRedis } from "../support/test-redis.ts";

const LEASE_MS = 1_000;

test("the slots of a process killed with SIGKILL come back within one lease", async () => {
  const redis = await openTestRedis();
  const connection = await openRedisConnection({
    url: redis.url,
    keyPrefix: redis.prefix,
    connectTimeoutMs: 1000,
    commandTimeoutMs: 1000,
  });
  const child = fork(new URL("./hold-redis-slot-process.ts", import.meta.url), [
    redis.url,
    redis.prefix,
    String(LEASE_MS),
  ]);
  try {
    const [reply] = (await once(child, "message")) as [string];
    assert.equal(reply, "held");
    const limiter = createRedisRateLimiter({
      operations: createRedisRateOperations(connection),
      fallback: createLocalRateLimiter(),
      isUp: () => connection.status === "up",
      slotLeaseMs: LEASE_MS,
    });
    assert.equal((await limiter.acquire("streams:killed-user", 1)).ok, false, "held by the child");
    // The child renews its lease while it lives: wait for one renewal (the lease's end moves).
    const [key] = await redis.keys();
    assert.ok(key);
    const [member, first] = await redis.client.zrange(key, 0, 0, "WITHSCORES");
    while (Number(await redis.client.zscore(key, member!)) <= Number(first)) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    child.kill("SIGKILL");
    await once(child, "exit");
    const killedAt = performance.now();
    for (;;) {
      const slot = await limiter.acquire("streams:killed-user", 1);
      if (slot.ok) {
        slot.release();
        break;
      }
      assert.ok(performance.now() - killedAt < LEASE_MS + 1_000, "the slot came back within the lease");
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.ok(performance.now() - killedAt <= LEASE_MS + 1_000);
  } finally {
    child.kill("SIGKILL");
    await connection.close();
    await redis.close();
  }
});
