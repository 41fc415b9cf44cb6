/**
 * @module test/store/redis/redis-counters-lost-reply
 * A reserve whose reply is lost (it ran on Redis, the caller timed out) must not keep holding the quota
 * until its lease ends: the caller's failure releases it. A settle that fails is replayed until it lands,
 * counted once whether or not the failed attempt ran. Played with a proxy that mutes or refuses Redis.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { createRedisQuotaCounters } from "../../../src/store/create-redis-quota-counters.ts";
import { openRedisConnection } from "../../../src/store/redis/open-redis-connection.ts";
import { createSqliteStore } from "../../../src/store/sqlite/create-sqlite-store.ts";
import { startTcpProxy } from "../../support/tcp-proxy.ts";
import { openQuotaFence, openTestRedis, waitForStatus } from "../../support/test-redis.ts";
import { counterKey } from "../counter-conformance.ts";

const redis = await openTestRedis();
const target = new URL(redis.url);
const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
const durable = createSqliteStore({ path: ":memory:" });
/** Longer than the counters' replay interval (1 s): a replay that would double count has had its turn. */
const REPLAYED_BY_MS = 1_500;
const prefix = `${redis.prefix}lost-reply:`;
await openQuotaFence(redis.client, prefix);
const open = (url: string) =>
  openRedisConnection({ url, keyPrefix: prefix, connectTimeoutMs: 1000, commandTimeoutMs: 200 });
const direct = await open(redis.url);
const proxied = await open(`redis://127.0.0.1:${proxy.port}`);
after(async () => {
  await proxied.close();
  await direct.close();
  await proxy.close();
  durable.close();
  await redis.close();
});

test("a reserve that timed out after it ran on Redis is released, not held until its lease ends", async () => {
  const key = counterKey("lost-reply-user", "requests");
  const observer = createRedisQuotaCounters({ connection: direct, durable: durable.counters });
  const caller = createRedisQuotaCounters({ connection: proxied, durable: durable.counters });
  const now = Date.now();
  const lease = { now, expiresAt: now + 15 * 60_000 };
  // Seeded first, so the muted reserve is one script run.
  assert.deepEqual(await caller.readState([key], now), [{ committed: 0, reserved: 0 }]);
  await caller.reserve("warm-up", [{ key, amount: 0, fit: 1, limit: 10 }], lease);

  proxy.mute(true); // Redis runs what it is sent; its replies are lost on the way back
  await assert.rejects(caller.reserve("lost", [{ key, amount: 3, fit: 1, limit: 10 }], lease));
  // The reserve ran (it holds 3) until the release sent after the failure runs too.
  const deadline = Date.now() + 10_000;
  let state = (await observer.readState([key], Date.now()))[0];
  while (state?.reserved !== 0 && Date.now() < deadline) {
    await delay(20);
    state = (await observer.readState([key], Date.now()))[0];
  }
  assert.deepEqual(state, { committed: 0, reserved: 0 }, "the lost reserve no longer holds the quota");
  await reconnect();
});

/** Cuts the proxied connection (answers it lost would desynchronize it) and waits for a fresh one. */
async function reconnect(): Promise<void> {
  const down = waitForStatus(proxied, "down");
  proxy.cutAll();
  proxy.mute(false);
  await down;
  await waitForStatus(proxied, "up");
}

/** Waits (bounded) until `read()` gives `expected`; returns the last value read. */
async function settleTo(read: () => Promise<number>, expected: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  let value = await read();
  while (value !== expected && Date.now() < deadline) {
    await delay(20);
    value = await read();
  }
  return value;
}

test("a settle whose answer was lost is replayed and counted once, not twice", async () => {
  const key = counterKey("lost-settle-user", "requests");
  const observer = createRedisQuotaCounters({ connection: direct, durable: durable.counters });
  const caller = createRedisQuotaCounters({ connection: proxied, durable: durable.counters });
  const now = Date.now();
  const lease = { now, expiresAt: now + 15 * 60_000 };
  await caller.reserve("settle-lost", [{ key, amount: 1, fit: 1, limit: 10 }], lease);

  proxy.mute(true); // the settle runs on Redis; its answer is lost
  await assert.rejects(caller.settle("settle-lost", [{ key, delta: 1 }]));
  await reconnect();
  // The replay finds the settle already ran: the counter holds 1, never 2, and nothing stays reserved.
  const read = async () => (await observer.readState([key], Date.now()))[0]!.committed;
  assert.equal(await settleTo(read, 1), 1);
  await delay(REPLAYED_BY_MS);
  assert.deepEqual(await observer.readState([key], Date.now()), [{ committed: 1, reserved: 0 }]);
});

test("a settle made while Redis cannot be reached is counted once it can", async () => {
  const key = counterKey("away-settle-user", "requests");
  const observer = createRedisQuotaCounters({ connection: direct, durable: durable.counters });
  const caller = createRedisQuotaCounters({ connection: proxied, durable: durable.counters });
  const now = Date.now();
  await caller.reserve("settle-away", [{ key, amount: 1, fit: 1, limit: 10 }], {
    now,
    expiresAt: now + 15 * 60_000,
  });
  proxy.setMode("refuse");
  proxy.cutAll(); // Redis is away: the settle cannot run
  await assert.rejects(caller.settle("settle-away", [{ key, delta: 1 }]));
  assert.deepEqual(await observer.readState([key], Date.now()), [{ committed: 0, reserved: 1 }]);
  proxy.setMode("pass"); // back: the connection returns and the settle is replayed
  const read = async () => (await observer.readState([key], Date.now()))[0]!.committed;
  assert.equal(await settleTo(read, 1), 1, "the usage reached the quota");
  assert.deepEqual(await observer.readState([key], Date.now()), [{ committed: 1, reserved: 0 }]);
  // The durable copy is written once Redis has answered the replayed settle: it follows, never leads.
  const durableRead = async () => (await durable.counters.read([key]))[0]!;
  assert.equal(await settleTo(durableRead, 1), 1, "and its durable copy");
});
