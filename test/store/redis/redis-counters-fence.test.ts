/**
 * @module test/store/redis/redis-counters-fence
 * Redis loses its data while two replicas hold calls: admissions are fenced (503 quota_unavailable) until
 * each replica re-sent its holds, then exactly the room left is admitted; re-sends never count twice, a
 * settle after one counts once and releases its hold, and a re-sent hold ends with its lease.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { GatewayError } from "../../../src/errors/gateway-error.ts";
import { createRedisQuotaCounters } from "../../../src/store/create-redis-quota-counters.ts";
import type { HoldsResentEvent } from "../../../src/store/redis/create-quota-hold-keeper.ts";
import { openRedisConnection, type RedisConnection } from "../../../src/store/redis/open-redis-connection.ts";
import { createSqliteStore } from "../../../src/store/sqlite/create-sqlite-store.ts";
import type { Store } from "../../../src/store/store-types.ts";
import { createTempDir } from "../../support/start-gateway.ts";
import { openQuotaFence, openTestRedis, waitForStatus } from "../../support/test-redis.ts";
import { counterKey } from "../counter-conformance.ts";

const GRACE_MS = 1_500;
const LIMIT = 5;
const redis = await openTestRedis();
const prefix = `${redis.prefix}fence:`;
await openQuotaFence(redis.client, prefix);
const connections: RedisConnection[] = [];
const stores: Store[] = [];
after(async () => {
  for (const connection of connections) await connection.close();
  for (const store of stores) store.close();
  await redis.close();
});

/** One replica: its own connection, the shared durable SQLite file, and its re-sends as events. */
async function openReplica(durablePath: string) {
  const connection = await openRedisConnection({
    url: redis.url,
    keyPrefix: prefix,
    connectTimeoutMs: 1000,
    commandTimeoutMs: 2000,
  });
  connections.push(connection);
  await waitForStatus(connection, "up");
  const durable = createSqliteStore({ path: durablePath });
  stores.push(durable);
  const resent: HoldsResentEvent[] = [];
  let wake = () => {};
  const counters = createRedisQuotaCounters({
    connection,
    durable: durable.counters,
    fenceGraceMs: GRACE_MS,
    clock: "caller", // leases read on the tests' times (one reads the state at a lease's end)
    onHoldsResent: (event) => {
      resent.push(event);
      wake();
    },
  });
  /** Resolves on the first re-send of an epoch other than `before` (fails after `ms`). */
  const resentAfter = (before: string | undefined, ms = 10_000) =>
    new Promise<HoldsResentEvent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no re-send within ${ms} ms`)), ms);
      const look = () => {
        const found = resent.find((event) => event.epoch !== before);
        if (found === undefined) return;
        clearTimeout(timer);
        resolve(found);
      };
      wake = look;
      look();
    });
  return { counters, resent, resentAfter, durable };
}

const key = counterKey("fence-user", "requests");
const one = [{ key, amount: 1, fit: 1, limit: LIMIT }];
const isUnavailable = (error: unknown) => {
  assert.ok(error instanceof GatewayError, String(error));
  assert.equal(error.type, "quota_unavailable");
  assert.equal(error.headers?.["retry-after"], "1");
  return true;
};

/** Every key of this test's prefix deleted, as a Redis restart without persistence leaves it. */
async function loseData(): Promise<void> {
  const keys = (await redis.keys()).filter((name) => name.startsWith(prefix));
  if (keys.length > 0) await redis.client.del(...keys);
}

/** Tries `reserve` until the fence lets it through (refused as unavailable meanwhile), within `ms`. */
async function admitAfterFence(reserve: () => Promise<unknown>, ms = 10_000): Promise<unknown> {
  const deadline = performance.now() + ms;
  for (;;) {
    try {
      return await reserve();
    } catch (error) {
      isUnavailable(error);
      if (performance.now() > deadline) throw new Error("the fence never opened");
      await delay(25);
    }
  }
}

test("Redis loses its data with 3 calls held: fenced, held again, then exactly the 2 left are admitted", async () => {
  const durablePath = join(createTempDir(), "durable.sqlite");
  const a = await openReplica(durablePath);
  const b = await openReplica(durablePath);
  const now = Date.now();
  const lease = { now, expiresAt: now + 60_000 };
  for (const id of ["held-1", "held-2"])
    assert.deepEqual(await a.counters.reserve(id, one, lease), { ok: true });
  assert.deepEqual(await b.counters.reserve("held-3", one, lease), { ok: true });
  assert.deepEqual(await a.counters.readState([key], now), [{ committed: 0, reserved: 3 }]);

  await loseData();
  // Admissions right after the loss are refused, whichever replica and script takes them.
  await assert.rejects(a.counters.reserve("during-1", one, lease), isUnavailable);
  await assert.rejects(
    b.counters.hitAndReserve(
      { key: "rpm:fence-user", limit: 100, windowMs: 60_000, eventId: "during-2" },
      "during-2",
      one,
      lease,
    ),
    isUnavailable,
  );
  // Each replica puts its own holds back: A (it saw the fence) and B (its check, without admitting anything).
  const [resentA, resentB] = await Promise.all([a.resentAfter(undefined), b.resentAfter(undefined)]);
  assert.equal(resentA.holds, 2);
  assert.equal(resentB.holds, 1);
  assert.equal(resentA.epoch, resentB.epoch, "one new epoch");

  // After the grace, exactly the room the 3 holds leave: 2 admitted, then refused by the holds.
  assert.deepEqual(await admitAfterFence(() => a.counters.reserve("after-1", one, lease)), { ok: true });
  assert.deepEqual(await b.counters.reserve("after-2", one, lease), { ok: true });
  for (const [replica, id] of [
    [a, "after-3"],
    [b, "after-4"],
    [a, "after-5"],
  ] as const) {
    const refused = await replica.counters.reserve(id, one, lease);
    assert.equal(refused.ok, false, `${id} is refused`);
    assert.equal(!refused.ok && refused.reason, "held");
  }
  assert.deepEqual(await b.counters.readState([key], now), [{ committed: 0, reserved: LIMIT }]);
  // A re-sent hold ends with its lease, as any hold.
  assert.deepEqual(await b.counters.readState([key], lease.expiresAt), [{ committed: 0, reserved: 0 }]);

  // A settle after the re-send counts once and releases the hold; a replay of it changes nothing.
  await a.counters.settle("held-1", [{ key, delta: 1 }]);
  assert.deepEqual(await a.counters.readState([key], now), [{ committed: 1, reserved: 4 }]);
  await a.counters.settle("held-1", [{ key, delta: 1 }], { replay: true });
  assert.deepEqual(await a.counters.readState([key], now), [{ committed: 1, reserved: 4 }]);
  assert.deepEqual(await a.durable.counters.read([key]), [1], "the durable copy counts it once");

  // A new epoch with the holds still there (the epoch key alone lost): every replica re-sends, nothing
  // is counted twice, and the settled call is not put back.
  await redis.client.del(`${prefix}quota-epoch`);
  await assert.rejects(b.counters.reserve("during-3", one, lease), isUnavailable);
  const [againA, againB] = await Promise.all([a.resentAfter(resentA.epoch), b.resentAfter(resentB.epoch)]);
  assert.deepEqual([againA.holds, againB.holds], [2, 2], "held-2 and after-1; held-3 and after-2");
  assert.deepEqual(await a.counters.readState([key], now), [{ committed: 1, reserved: 4 }]);

  // A renew that finds its hold gone (Redis lost it) puts it back at once.
  await loseData();
  assert.equal(await b.counters.renew("held-3", { now, expiresAt: now + 90_000 }), 1);
  const [state] = await b.counters.readState([key], lease.expiresAt);
  assert.equal(state?.reserved, 1, "held-3 alone outlives the first lease");

  // Every call settles: nothing stays held (no leak), each request counted once.
  await b.counters.settle("held-3", [{ key, delta: 1 }]);
  await a.counters.settle("held-2", [{ key, delta: 1 }]);
  await a.counters.settle("after-1", [{ key, delta: 1 }]);
  await b.counters.settle("after-2", [{ key, delta: 1 }]);
  const [end] = await a.counters.readState([key], now);
  assert.equal(end?.reserved, 0, "no hold left");
  assert.equal(end?.committed, LIMIT, "five served, each counted once");
});
