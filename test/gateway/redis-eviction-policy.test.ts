/**
 * @module test/gateway/redis-eviction-policy
 * A gateway on a Redis that may evict any key (`allkeys-lru`) says so once, at start: quotas cannot be exact
 * there and the quota fence is off (docs/deployment.md, "Redis"). Runs on a redis-server of its own.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";
import { type PrivateRedis, startPrivateRedis } from "../support/private-redis.ts";

let redis: PrivateRedis;
let env: ModelGateway;

before(async () => {
  redis = await startPrivateRedis(["--maxmemory", "20mb", "--maxmemory-policy", "allkeys-lru"]);
  env = await startModelGateway({ config: { redis: { url: redis.url, keyPrefix: "byok:" } } });
});

after(async () => {
  await env.close();
  await redis.stop();
});

test("allkeys-lru: one warning at start that quotas cannot be exact and the fence is off", async () => {
  const deadline = AbortSignal.timeout(10_000);
  const line = await Promise.race([
    env.gateway.waitForLog("quotas cannot be exact"),
    new Promise<never>((_, reject) =>
      deadline.addEventListener("abort", () => reject(new Error("no warning within 10 s"))),
    ),
  ]);
  const entry = JSON.parse(line) as { level: number; policy: string; msg: string };
  assert.equal(entry.level, 40, "a warning");
  assert.equal(entry.policy, "allkeys-lru");
  assert.match(entry.msg, /quota fence is off/);
  assert.equal(env.gateway.logs.filter((each) => each.includes("quotas cannot be exact")).length, 1);
});
