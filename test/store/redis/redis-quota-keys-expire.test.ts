/**
 * @module test/store/redis/redis-quota-keys-expire
 * The Redis quota counters leave nothing that grows with the users served: after many reserve-and-settle
 * cycles no reservation key is left and every key expires; a sweep walks the hashes a page at a time.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createRedisQuotaCounters } from "../../../src/store/create-redis-quota-counters.ts";
import { openRedisConnection, type RedisConnection } from "../../../src/store/redis/open-redis-connection.ts";
import { createSqliteStore } from "../../../src/store/sqlite/create-sqlite-store.ts";
import type { CounterKey, Store } from "../../../src/store/store-types.ts";
import { openQuotaFence, openTestRedis, type TestRedis, waitForStatus } from "../../support/test-redis.ts";

let redis: TestRedis;
const connections: RedisConnection[] = [];
const stores: Store[] = [];

/** Counters under a prefix of their own (inside the run's), with a durable SQLite copy. */
async function openCounters(prefix: string) {
  await openQuotaFence(redis.client, prefix);
  const connection = await openRedisConnection({
    url: redis.url,
    keyPrefix: prefix,
    connectTimeoutMs: 1000,
    commandTimeoutMs: 2000,
  });
  connections.push(connection);
  const durable = createSqliteStore({ path: ":memory:" });
  stores.push(durable);
  // Leases read on the tests' times (a hold's lease ends by moving `now`).
  const counters = createRedisQuotaCounters({ connection, durable: durable.counters, clock: "caller" });
  return { connection, counters };
}

const tokens = (userId: string): CounterKey => ({ userId, meter: "tokens", scope: "", periodStart: 0 });
const requests = (userId: string): CounterKey => ({ userId, meter: "requests", scope: "", periodStart: 0 });

/**
 * The one key written without a TTL: the prefix's quota epoch (one key, not one per user). A volatile-*
 * eviction policy never evicts a key without a TTL, so its loss still means Redis lost its data; with a
 * TTL, memory pressure evicted it again and again, each time fencing every user for the grace.
 */
const EPOCH = "quota-epoch";

/** Every key under `prefix` with its time to live (ms; -1 means none). */
async function keysWithTtl(prefix: string): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const key of await redis.keys()) {
    if (key.startsWith(prefix)) found.set(key.slice(prefix.length), await redis.client.pttl(key));
  }
  return found;
}

before(async () => {
  redis = await openTestRedis();
});
after(async () => {
  for (const connection of connections) await connection.close();
  for (const store of stores) await store.close();
  await redis.close();
});

test("2,000 users reserved and settled: no reservation key is left, every key left but the one epoch expires, none grows per user without a TTL", async () => {
  const prefix = `${redis.prefix}settled:`;
  const { connection, counters } = await openCounters(prefix);
  await waitForStatus(connection, "up");
  const users = 2_000;
  for (let index = 0; index < users; index++) {
    const userId = `user-${index}`;
    const id = `call-${index}`;
    const now = Date.now();
    const lease = { now, expiresAt: now + 900_000 };
    const reservations = [
      { key: tokens(userId), amount: 100, fit: 0, limit: 1e9 },
      { key: requests(userId), amount: 1, fit: 1, limit: 1e9 },
    ];
    // Half through the one-round-trip admission (its rate-limit hit included), half through reserve.
    const reserved =
      index % 2 === 0
        ? await counters.reserve(id, reservations, lease)
        : await counters.hitAndReserve(
            { key: `rpm:${userId}`, limit: 1000, windowMs: 60_000, eventId: id },
            id,
            reservations,
            lease,
          );
    assert.deepEqual(reserved, { ok: true }, `reserve ${index}`);
    await counters.settle(id, [
      { key: tokens(userId), delta: 50 },
      { key: requests(userId), delta: 1 },
    ]);
  }
  const left = await keysWithTtl(prefix);
  const kinds = new Map<string, number>();
  for (const [key, ttl] of left) {
    const kind = key.includes(":") ? key.slice(0, key.indexOf(":")) : key; // a fixed key is its own kind
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    if (key === EPOCH) assert.equal(ttl, -1, "the epoch never expires");
    else assert.ok(ttl > 0, `${key} expires (PTTL ${ttl})`);
  }
  assert.equal(left.has("quota-active"), false, "no set lists the reservations");
  assert.equal(kinds.get("quota-held"), undefined, "a settled reservation's hash is gone");
  assert.equal(kinds.get("quota-res"), undefined, "so is its index");
  // What stays is bounded in time: the counters (35 days), settled markers (10 min), rate logs (a window),
  // and the one quota epoch of the prefix (no TTL: see EPOCH).
  assert.deepEqual(
    [...kinds.keys()].sort(),
    ["quota", "quota-epoch", "quota-settled", "rate"].sort(),
    `kinds left: ${[...kinds]}`,
  );
  assert.deepEqual(await counters.read([tokens("user-7"), requests("user-7")]), [50, 1]);
});

test("a hold never settled (its process died) ends with its lease and its hash expires; a sweep pages through every hash", async () => {
  const prefix = `${redis.prefix}swept:`;
  const { connection, counters } = await openCounters(prefix);
  await waitForStatus(connection, "up");
  const now = 1_000_000;
  const held = 250; // more than two SCAN pages of the sweep
  for (let index = 0; index < held; index++) {
    const reserved = await counters.reserve(
      `dead-${index}`,
      [{ key: tokens(`dead-${index}`), amount: 10, fit: 10, limit: 100 }],
      { now, expiresAt: now + 1_000 },
    );
    assert.deepEqual(reserved, { ok: true });
  }
  const before = await keysWithTtl(prefix);
  for (const [key, ttl] of before) {
    if (key === EPOCH) assert.equal(ttl, -1, "the epoch never expires");
    else assert.ok(ttl > 0, `${key} expires (PTTL ${ttl})`);
  }
  assert.deepEqual(await counters.readState([tokens("dead-3")], now + 999), [{ committed: 0, reserved: 10 }]);
  assert.equal(await counters.sweepExpired(now + 999), 0, "live leases are kept");
  assert.equal(await counters.sweepExpired(now + 1_000), held);
  const after = await keysWithTtl(prefix);
  assert.equal([...after.keys()].filter((key) => key.startsWith("quota-held:")).length, 0);
  assert.deepEqual(await counters.readState([tokens("dead-3")], now), [{ committed: 0, reserved: 0 }]);
});

test("a renewal keeps the reservation's index as long as its hash: a call renewed for hours still releases its hold", async () => {
  const prefix = `${redis.prefix}renewed:`;
  const { connection, counters } = await openCounters(prefix);
  await waitForStatus(connection, "up");
  const now = 1_000_000;
  const key = tokens("long-call");
  assert.deepEqual(
    await counters.reserve("long", [{ key, amount: 10, fit: 10, limit: 100 }], {
      now,
      expiresAt: now + 1_000,
    }),
    { ok: true },
  );
  // Renewed to end three hours on: the hash and the index must both outlive the first lease plus an hour.
  assert.equal(await counters.renew("long", { now: now + 500, expiresAt: now + 500 + 3 * 3_600_000 }), 1);
  const ttl = await keysWithTtl(prefix);
  const of = (kind: string) =>
    [...ttl].filter(([name]) => name.startsWith(`${kind}:`)).map(([, left]) => left);
  assert.equal(of("quota-held").length, 1);
  assert.ok(of("quota-held")[0]! > 3 * 3_600_000, `hash PTTL ${of("quota-held")}`);
  assert.ok(of("quota-res")[0]! > 3 * 3_600_000, `index PTTL ${of("quota-res")}`);
  await counters.settle("long", [{ key, delta: 7 }]);
  assert.deepEqual(await counters.readState([key], now + 600), [{ committed: 7, reserved: 0 }]);
});

test("the set earlier versions kept (`quota-active`, no TTL) is dropped when the counters start", async () => {
  const prefix = `${redis.prefix}legacy:`;
  await redis.client.sadd(`${prefix}quota-active`, "a", "b", "c");
  const { connection } = await openCounters(prefix);
  await waitForStatus(connection, "up");
  for (let attempt = 0; attempt < 50 && (await redis.client.exists(`${prefix}quota-active`)) === 1; attempt++)
    await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(await redis.client.exists(`${prefix}quota-active`), 0);
});

test("an epoch an earlier version wrote with a TTL loses it at the next reserve (then only a data loss ends it)", async () => {
  const prefix = `${redis.prefix}persisted:`;
  const { connection, counters } = await openCounters(prefix);
  await waitForStatus(connection, "up");
  await redis.client.pexpire(`${prefix}${EPOCH}`, 3_024_000_000);
  const now = Date.now();
  const reserved = await counters.reserve(
    "one",
    [{ key: tokens("persisted"), amount: 1, fit: 1, limit: 10 }],
    {
      now,
      expiresAt: now + 60_000,
    },
  );
  assert.deepEqual(reserved, { ok: true });
  assert.equal(await redis.client.pttl(`${prefix}${EPOCH}`), -1);
  await counters.settle("one", [{ key: tokens("persisted"), delta: 1 }]);
});
