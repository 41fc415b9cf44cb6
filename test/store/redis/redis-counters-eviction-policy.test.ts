/**
 * @module test/store/redis/redis-counters-eviction-policy
 * The counters read Redis's eviction policy (`INFO memory`): under `allkeys-lru` and memory pressure, where
 * the epoch key itself is evicted, nothing is ever fenced (the fence is off, one report says why); under
 * `noeviction` the fence still refuses admissions after a data loss until the holds are re-sent. Each runs
 * on a redis-server of its own (never the shared one's settings).
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { GatewayError } from "../../../src/errors/gateway-error.ts";
import { createRedisQuotaCounters } from "../../../src/store/create-redis-quota-counters.ts";
import type {
  EvictionPolicyEvent,
  HoldsResentEvent,
} from "../../../src/store/redis/create-quota-hold-keeper.ts";
import { openRedisConnection, type RedisConnection } from "../../../src/store/redis/open-redis-connection.ts";
import { createSqliteStore } from "../../../src/store/sqlite/create-sqlite-store.ts";
import type { Store } from "../../../src/store/store-types.ts";
import { type PrivateRedis, startPrivateRedis } from "../../support/private-redis.ts";
import { waitForStatus } from "../../support/test-redis.ts";
import { counterKey } from "../counter-conformance.ts";

const GRACE_MS = 1_000;
const PREFIX = "byok:";
const servers: PrivateRedis[] = [];
const connections: RedisConnection[] = [];
const stores: Store[] = [];
after(async () => {
  for (const connection of connections) await connection.close();
  for (const store of stores) store.close();
  for (const server of servers) await server.stop();
});

async function openCounters(args: readonly string[]) {
  const server = await startPrivateRedis(args);
  servers.push(server);
  const connection = await openRedisConnection({
    url: server.url,
    keyPrefix: PREFIX,
    connectTimeoutMs: 1000,
    commandTimeoutMs: 2000,
  });
  connections.push(connection);
  await waitForStatus(connection, "up");
  const durable = createSqliteStore({ path: ":memory:" });
  stores.push(durable);
  const policies: EvictionPolicyEvent[] = [];
  const resent: HoldsResentEvent[] = [];
  const counters = createRedisQuotaCounters({
    connection,
    durable: durable.counters,
    fenceGraceMs: GRACE_MS,
    onEvictionPolicy: (event) => policies.push(event),
    onHoldsResent: (event) => resent.push(event),
  });
  return { server, counters, policies, resent };
}

/** Polls `ready` until it holds, failing after `ms`. */
async function until(ready: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await ready())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await delay(20);
  }
}

const isUnavailable = (error: unknown) => error instanceof GatewayError && error.type === "quota_unavailable";

test("allkeys-lru under memory pressure: the epoch is evicted again and again, and no admission is ever fenced", async () => {
  const { server, counters, policies, resent } = await openCounters([
    "--maxmemory",
    "20mb",
    "--maxmemory-policy",
    "allkeys-lru",
  ]);
  await until(() => policies.length > 0, "the policy read");
  assert.deepEqual(policies, [{ policy: "allkeys-lru", exact: false }], "one report: quotas cannot be exact");

  const key = counterKey("evicted-user", "requests");
  const filler = "x".repeat(256 * 1024);
  const epochKey = `${PREFIX}quota-epoch`;
  let ok = 0;
  let refused = 0;
  let epochsLost = 0;
  for (let index = 0; index < 300; index++) {
    // Memory pressure: 75 MB written into 20 MB, so Redis evicts (the epoch among others, now and then).
    await server.client.set(`filler:${index}`, filler);
    // And the epoch lost for certain every 30 calls, whatever the sampling picked.
    if (index % 30 === 0) await server.client.del(epochKey);
    if ((await server.client.exists(epochKey)) === 0) epochsLost += 1;
    const now = Date.now();
    const id = `call-${index}`;
    try {
      await counters.reserve(id, [{ key, amount: 1, fit: 1, limit: 1e9 }], { now, expiresAt: now + 60_000 });
      ok += 1;
      await counters.settle(id, [{ key, delta: 1 }]);
    } catch (error) {
      assert.ok(isUnavailable(error), String(error));
      refused += 1;
    }
  }
  const evicted = Number(/evicted_keys:(\d+)/.exec(await server.client.info("stats"))?.[1]);
  assert.ok(evicted > 0, "Redis evicted keys");
  assert.ok(epochsLost >= 10, `the epoch was lost ${epochsLost} times`);
  assert.equal(refused, 0, `${refused} fenced, ${ok} admitted`);
  assert.equal(await server.client.exists(`${PREFIX}quota-fence`), 0, "no grace was ever started");
  // Holds are still re-sent when a check sees a new epoch (one in flight when the epoch went): never refused.
  for (const event of resent) assert.equal(event.reason, "new-epoch");
  assert.equal(policies.length, 1, "reported once");
  await counters.close();
});

test("noeviction: after a data loss the fence refuses until the holds are re-sent, then the room left is admitted", async () => {
  const { server, counters, policies, resent } = await openCounters(["--maxmemory-policy", "noeviction"]);
  await until(() => policies.length > 0, "the policy read");
  assert.deepEqual(policies, [{ policy: "noeviction", exact: true }]);
  const key = counterKey("kept-user", "requests");
  const one = [{ key, amount: 1, fit: 1, limit: 2 }];
  const now = Date.now();
  const lease = { now, expiresAt: now + 60_000 };
  // A fresh Redis has no epoch: the first admissions are fenced (a lost Redis looks the same).
  await until(
    () =>
      counters.reserve("held", one, lease).then(
        () => true,
        (error: unknown) => {
          assert.ok(isUnavailable(error), String(error));
          return false;
        },
      ),
    "the first grace",
  );
  const before = resent.length;

  await server.client.flushall();
  await assert.rejects(counters.reserve("during", one, lease), isUnavailable);
  await until(() => resent.length > before, "the re-send");
  assert.deepEqual(resent.at(-1)?.holds, 1);
  assert.equal(resent.at(-1)?.reason, "new-epoch");
  let admitted: unknown;
  await until(
    () =>
      counters.reserve("after", one, lease).then(
        (result) => {
          admitted = result;
          return true;
        },
        () => false,
      ),
    "the fence opening",
  );
  assert.deepEqual(admitted, { ok: true });
  const full = await counters.reserve("full", one, lease);
  assert.equal(!full.ok && full.reason, "held", "the re-sent hold counts");
  await counters.close();
});

test("a policy changed to allkeys-lru at run time: an epoch lost afterwards starts no grace (read in the script itself)", async () => {
  const { server, counters, policies } = await openCounters(["--maxmemory-policy", "noeviction"]);
  await until(() => policies.length > 0, "the policy read");
  assert.deepEqual(policies, [{ policy: "noeviction", exact: true }]);
  const key = counterKey("runtime-user", "requests");
  const one = [{ key, amount: 1, fit: 1, limit: 1e9 }];
  const lease = () => ({ now: Date.now(), expiresAt: Date.now() + 60_000 });
  // Past the first start's grace.
  await until(
    () =>
      counters.reserve(`first-${Date.now()}`, one, lease()).then(
        () => true,
        () => false,
      ),
    "the first grace",
  );
  await server.client.config("SET", "maxmemory-policy", "allkeys-lru");
  await server.client.del(`${PREFIX}quota-epoch`);
  await counters.reserve("after-switch", one, lease()); // not fenced
  assert.equal(await server.client.exists(`${PREFIX}quota-fence`), 0, "no grace started");
  assert.equal(await server.client.exists(`${PREFIX}quota-epoch`), 1, "a new epoch written");
  await counters.close();
});
