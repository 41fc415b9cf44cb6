/**
 * @module test/metering/redis-one-round-trip
 * Redis admission of an operator-served call is one script call on the latency path: the rate-limit hit and
 * the quota reservation in one atomic step, with the semantics of the two apart (a refused hit reserves
 * nothing; a refused reservation keeps its hit; nothing is written before the counters are seeded), and the
 * settle sent only after the turn that ended the call. Against the real Redis.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { parseConfig } from "../../src/config/index.ts";
import { createAdmissionControl, type HitAndReserve } from "../../src/metering/create-admission-control.ts";
import { applicableLimits } from "../../src/metering/plan-limits.ts";
import { createRedisRateLimiter } from "../../src/metering/rate-limits/create-redis-rate-limiter.ts";
import { createLocalRateLimiter } from "../../src/metering/rate-limits/index.ts";
import { createRedisQuotaCounters } from "../../src/store/create-redis-quota-counters.ts";
import { createRedisRateOperations } from "../../src/store/redis/create-redis-rate-operations.ts";
import { openRedisConnection, type RedisConnection } from "../../src/store/redis/open-redis-connection.ts";
import { createSqliteStore } from "../../src/store/sqlite/create-sqlite-store.ts";
import { openQuotaFence, openTestRedis } from "../support/test-redis.ts";

const NOW = Date.UTC(2026, 10, 26, 12);
const redis = await openTestRedis();
await openQuotaFence(redis.client, `${redis.prefix}one-trip:`);
const durable = createSqliteStore({ path: ":memory:" });
const real = await openRedisConnection({
  url: redis.url,
  keyPrefix: `${redis.prefix}one-trip:`,
  connectTimeoutMs: 1000,
  commandTimeoutMs: 2000,
});
after(async () => {
  await real.close();
  durable.close();
  await redis.close();
});

/** The real connection, counting the scripts it runs. */
const scriptsRun: string[] = [];
const counting: RedisConnection = Object.assign(Object.create(real) as RedisConnection, {
  run: (...args: Parameters<RedisConnection["run"]>) => {
    scriptsRun.push(args[0].sha);
    return real.run(...args);
  },
});
const counters = createRedisQuotaCounters({ connection: counting, durable: durable.counters });
/** Every settle admission starts, to wait on (it is not awaited by the call it ends). */
const settles: Promise<void>[] = [];
const watched = {
  ...counters,
  settle: (...args: Parameters<typeof counters.settle>) => {
    const settled = counters.settle(...args);
    settles.push(settled);
    return settled;
  },
};
const allSettled = () => Promise.all(settles.splice(0));
const limiter = createRedisRateLimiter({
  operations: createRedisRateOperations(counting, () => NOW),
  fallback: createLocalRateLimiter({ now: () => NOW }),
  isUp: () => true,
  slotLeaseMs: 30_000,
});
const hitAndReserve: HitAndReserve = (hit, id, reservations, lease) =>
  counters.hitAndReserve({ ...hit, now: NOW }, id, reservations, lease);

const config = parseConfig({
  plans: { metered: { limits: [{ meter: "requests", period: "day", limit: 2 }] } },
  defaultPlan: "metered",
  rateLimits: { requestsPerMinute: 3 },
});
const admission = createAdmissionControl({
  config,
  counters: watched,
  limiter,
  hitAndReserve,
  now: () => NOW,
});

let users = 0;
const call = () => ({
  userId: `one-trip-${++users}`,
  plan: null,
  feature: null,
  source: "operator" as const,
  stream: false,
  maxOutputTokens: null,
});
const requestsOf = async (userId: string) => {
  const keys = applicableLimits(config.plans.metered!, userId, null, NOW).map((limit) => limit.key);
  return (await counters.readState(keys, NOW))[0];
};
const hitsOf = (userId: string) => redis.client.zcard(real.key("rate", `rpm:${userId}`));

test("an operator-served admission is one script call; its settle is sent after the turn that ended the call", async () => {
  const request = call();
  await requestsOf(request.userId); // seeded, so the admission below is its steady-state round trips
  scriptsRun.length = 0;
  const admitted = await admission.admit(request);
  assert.equal(scriptsRun.length, 1, "the hit and the reservation in one round trip");
  admitted.settle(null, true);
  assert.equal(scriptsRun.length, 1, "nothing sent in the turn that settled");
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(scriptsRun.length, 2, "the settle, once the turn is over");
  await allSettled();
  assert.deepEqual(await requestsOf(request.userId), { committed: 1, reserved: 0 });
  assert.equal(await hitsOf(request.userId), 1);
});

test("a refused reservation keeps its hit; a refused hit reserves nothing", async () => {
  const request = call();
  const first = await admission.admit(request);
  const second = await admission.admit(request);
  first.settle(null, true);
  second.settle(null, true);
  await allSettled();
  // The plan's 2 requests are spent: the third call's hit passes (3 a minute) and its reservation is refused.
  await assert.rejects(admission.admit(request), { type: "quota_exceeded" });
  assert.equal(await hitsOf(request.userId), 3, "the refused reservation's hit stays counted");
  // The fourth call's hit is refused: nothing is reserved.
  await assert.rejects(admission.admit(request), { type: "rate_limited", code: "requests_per_minute" });
  assert.equal(await hitsOf(request.userId), 3);
  assert.deepEqual(await requestsOf(request.userId), { committed: 2, reserved: 0 });
});

test("a counter Redis does not hold yet is seeded before the hit is taken: the hit counts once", async () => {
  const request = call();
  const admitted = await admission.admit(request); // first touch: seed, then the script again
  assert.equal(await hitsOf(request.userId), 1);
  assert.deepEqual(await requestsOf(request.userId), { committed: 0, reserved: 1 });
  admitted.settle(null, false);
});

test("a stream's admission keeps the hit, the slot and the reservation apart (in that order)", async () => {
  const streaming = createAdmissionControl({
    config: parseConfig({
      plans: { metered: { limits: [{ meter: "requests", period: "day", limit: 2 }] } },
      defaultPlan: "metered",
      rateLimits: { requestsPerMinute: 3, concurrentStreams: 1 },
    }),
    counters: watched,
    limiter,
    hitAndReserve,
    now: () => NOW,
  });
  const request = { ...call(), stream: true };
  await requestsOf(request.userId);
  scriptsRun.length = 0;
  const admitted = await streaming.admit(request);
  assert.equal(scriptsRun.length, 3, "hit, slot, reservation");
  await assert.rejects(streaming.admit(request), { type: "rate_limited", code: "concurrent_streams" });
  assert.deepEqual(
    await requestsOf(request.userId),
    { committed: 0, reserved: 1 },
    "the refused stream reserved nothing",
  );
  admitted.settle(null, false);
});

test("a later attempt of the same request reserves without a rate-limit hit (one hit per request)", async () => {
  const request = call();
  const first = await admission.admit(request);
  first.settle(null, false); // the first attempt failed upstream: its reservation is released
  await allSettled();
  const later = await admission.admit({ ...request, takesRateHit: false });
  assert.equal(await hitsOf(request.userId), 1, "the retry took no second hit");
  assert.deepEqual(await requestsOf(request.userId), { committed: 0, reserved: 1 });
  later.settle(null, true);
  await allSettled();
});
