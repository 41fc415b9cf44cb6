/**
 * @module test/store/redis/redis-counters-fence
 * Redis loses its data while two replicas hold calls: admissions are fenced (503 quota_unavailable) until
 * each replica re-sent its holds, then exactly the room left is admitted; re-sends never count twice, a
 * settle after one counts once and releases its hold, and a re-sent hold ends with its lease. A failover to a
 * copy that lagged (holds gone, epoch kept) is caught by each replica's check of its newest hold; a closed
 * replica, or one idle past its holds' leases, writes nothing after a data loss.
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
  /** Resolves on the next re-send from now, whatever its epoch (fails after `ms`). */
  const nextResent = (ms: number) => {
    const seen = resent.length;
    return new Promise<HoldsResentEvent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no re-send within ${ms} ms`)), ms);
      wake = () => {
        const found = resent[seen];
        if (found === undefined) return;
        clearTimeout(timer);
        resolve(found);
      };
    });
  };
  return { counters, resent, resentAfter, nextResent, durable, connection };
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

/** Every key of this test's prefix of one kind deleted (`quota-held`, `quota-res`). */
async function loseKind(kind: string): Promise<void> {
  const keys = (await redis.keys()).filter((name) => name.startsWith(`${prefix}${kind}:`));
  if (keys.length > 0) await redis.client.del(...keys);
}

/** A grace an earlier test started ends now (its replicas hold nothing any more). */
const endGrace = () => redis.client.del(`${prefix}quota-fence`);

/** Polls for `ms` that no key of the prefix shows up (a deadline, not a sleep: it fails at the first one). */
async function assertNothingWritten(ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    assert.deepEqual(
      (await redis.keys()).filter((name) => name.startsWith(prefix)),
      [],
      "nothing recreated",
    );
    await delay(25);
  }
}

test("a failover to a copy that lagged (holds gone, epoch kept): the holder's next check puts its holds back, then exactly the room left is admitted", async () => {
  const durablePath = join(createTempDir(), "durable.sqlite");
  const a = await openReplica(durablePath);
  const b = await openReplica(durablePath);
  await endGrace();
  const lagKey = counterKey("lag-user", "requests");
  const lagOne = [{ key: lagKey, amount: 1, fit: 1, limit: LIMIT }];
  const now = Date.now();
  const lease = { now, expiresAt: now + 60_000 };
  for (const id of ["lag-1", "lag-2", "lag-3"])
    assert.deepEqual(await a.counters.reserve(id, lagOne, lease), { ok: true });
  const epoch = await redis.client.get(`${prefix}quota-epoch`);
  assert.ok(epoch !== null);

  // What a promoted copy that lacked the last writes looks like: the epoch is there, A's holds are not.
  const back = a.nextResent(GRACE_MS / 4 + 2_000); // one check (a quarter of the grace), with slack
  await loseKind("quota-held");
  await loseKind("quota-res");
  const resent = await back;
  assert.deepEqual(resent, { epoch, holds: 3, reason: "missing-hold" });
  assert.equal(await redis.client.get(`${prefix}quota-epoch`), epoch, "no new epoch: no fence");
  assert.deepEqual(await b.counters.readState([lagKey], now), [{ committed: 0, reserved: 3 }]);

  // B admits exactly the 2 left.
  assert.deepEqual(await b.counters.reserve("lag-4", lagOne, lease), { ok: true });
  assert.deepEqual(await b.counters.reserve("lag-5", lagOne, lease), { ok: true });
  const refused = await b.counters.reserve("lag-6", lagOne, lease);
  assert.equal(!refused.ok && refused.reason, "held");
  for (const [replica, id] of [
    [a, "lag-1"],
    [a, "lag-2"],
    [a, "lag-3"],
    [b, "lag-4"],
    [b, "lag-5"],
  ] as const)
    await replica.counters.settle(id, [{ key: lagKey, delta: 1 }]);
  assert.deepEqual(await a.counters.readState([lagKey], now), [{ committed: LIMIT, reserved: 0 }]);
});

test("a closed replica, or one idle past its holds' leases, recreates nothing after a data loss", async () => {
  const durablePath = join(createTempDir(), "durable.sqlite");
  const closedOne = await openReplica(durablePath);
  const idle = await openReplica(durablePath);
  await endGrace();
  const idleKey = counterKey("idle-user", "requests");
  const idleOne = [{ key: idleKey, amount: 1, fit: 1, limit: LIMIT }];
  const now = Date.now();
  // 200 ms leases; the callers' clock then stands still (no further call passes a time).
  const short = { now, expiresAt: now + 200 };
  assert.deepEqual(await closedOne.counters.reserve("closed-1", idleOne, short), { ok: true });
  assert.deepEqual(await idle.counters.reserve("idle-1", idleOne, short), { ok: true });
  await closedOne.counters.close();
  // Past the leases (read on the wall clock: polled, not slept), Redis loses everything.
  while (Date.now() <= short.expiresAt) await delay(25);
  await loseData();
  // Several checks' worth: no epoch created (which would fence everyone), no ended hold written back.
  await assertNothingWritten(GRACE_MS);
});
