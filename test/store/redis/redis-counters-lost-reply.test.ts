/**
 * @module test/store/redis/redis-counters-lost-reply
 * A reserve whose reply is lost (it ran on Redis, the caller timed out) must not keep holding the quota
 * until its lease ends: the caller's failure releases it. Played with a proxy that mutes Redis's replies.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { createRedisQuotaCounters } from "../../../src/store/create-redis-quota-counters.ts";
import { openRedisConnection } from "../../../src/store/redis/open-redis-connection.ts";
import { createSqliteStore } from "../../../src/store/sqlite/create-sqlite-store.ts";
import { startTcpProxy } from "../../support/tcp-proxy.ts";
import { openTestRedis } from "../../support/test-redis.ts";
import { counterKey } from "../counter-conformance.ts";

const redis = await openTestRedis();
const target = new URL(redis.url);
const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
const durable = createSqliteStore({ path: ":memory:" });
const prefix = `${redis.prefix}lost-reply:`;
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
  proxy.cutAll(); // the replies it lost would desynchronize the proxied connection: a fresh one
  proxy.mute(false);
});
