/**
 * @module test/gateway/redis-outage
 * A gateway whose Redis goes away and comes back, through a loopback TCP proxy in front of the real one:
 * operator-served calls refused with 503 `quota_unavailable`, BYOK-served calls go on, rate limits local
 * with the metric and one log line per transition, caches resynced, everything back on its own.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { ByokContext } from "../../src/validation/byok-context.ts";
import { call, errorOf } from "../support/gateway-client.ts";
import { type GatewayUser, type ModelGateway, startModelGateway } from "../support/model-gateway.ts";
import { ADMIN_TOKEN } from "../support/start-gateway.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";
import { openQuotaFence, openTestRedis, type TestRedis } from "../support/test-redis.ts";

const USER_KEY = "sk-user-outage-openai-0123456789abcdef";
let redis: TestRedis;
let proxy: TcpProxy;
let env: ModelGateway;

function chat(user: GatewayUser, headers: Record<string, string> = {}) {
  return call(env.gateway, "POST", "/v1/chat/completions", {
    token: user.token,
    headers,
    body: { model: "summary", messages: [{ role: "user", content: "hi" }] },
  });
}

async function gauge(feature: string): Promise<number> {
  const text = (await call(env.gateway, "GET", "/metrics")).text;
  const line = text
    .split("\n")
    .find((each) => each.startsWith(`byok_coordination_degraded{feature="${feature}"}`));
  return Number(line?.split(" ").at(-1));
}

const count = (text: string) => env.gateway.logs.filter((line) => line.includes(text)).length;

before(async () => {
  redis = await openTestRedis();
  await openQuotaFence(redis.client, redis.prefix);
  proxy = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(redis.url).port) });
  env = await startModelGateway({
    config: {
      redis: { url: `redis://127.0.0.1:${proxy.port}`, keyPrefix: redis.prefix, commandTimeoutMs: 1000 },
      plans: { metered: { limits: [{ meter: "requests", period: "day", limit: 1000 }] } },
    },
  });
});

after(async () => {
  await env.close();
  await proxy.close();
  await redis.close();
});

test("Redis away: operator-served 503 quota_unavailable, BYOK-served 200, rate limits local; all back on its own", async () => {
  const user = await env.user({ openai: USER_KEY });
  const plan = await call(env.gateway, "PUT", `/admin/users/${user.id}/plan`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: { plan: "metered" },
  });
  assert.equal(plan.status, 200, plan.text);
  assert.equal((await chat(user)).status, 200, "operator-served while Redis is up");
  assert.deepEqual((await call(env.gateway, "GET", "/readyz")).body, { status: "ready", redis: "up" });

  proxy.refuse();
  proxy.cut();
  await env.gateway.waitForLog("Redis connection lost");
  await env.gateway.waitForLog("invalidation bus lost its subscription");

  const refused = await chat(user);
  assert.equal(refused.status, 503, refused.text);
  assert.equal(errorOf(refused).type, "quota_unavailable");
  assert.equal(refused.headers.get("retry-after"), "1");
  for (let index = 0; index < 3; index++) {
    const served = await chat(user, user.headers);
    assert.equal(served.status, 200, served.text);
    assert.match(served.headers.get("x-byok-route") ?? "", /byok/);
  }
  assert.equal(count("rate limits degraded"), 1, "one log line for the transition, not one per call");
  assert.equal(await gauge("rate_limits"), 1);
  assert.equal(await gauge("quotas"), 1);
  assert.equal(await gauge("invalidations"), 1);
  // Readiness does not fail on Redis (BYOK calls go on); it reports it.
  const ready = await call(env.gateway, "GET", "/readyz");
  assert.equal(ready.status, 200);
  assert.deepEqual(ready.body, { status: "ready", redis: "down" });
  const byok: ByokContext = {
    userId: user.id,
    status: "none",
    inactiveReason: null,
    keys: {},
    custom: null,
    dropped: [],
    statusHeader: "none",
  };
  const principal = { userId: user.id, plan: null, via: "token" as const };
  await assert.rejects(env.gateway.byok.listenTickets.issue({ principal, model: "x", byok }), {
    status: 503,
    code: "tickets_unavailable",
  });

  proxy.allow();
  await env.gateway.waitForLog("Redis connection back");
  await env.gateway.waitForLog("invalidation bus subscribed");
  const again = await chat(user);
  assert.equal(again.status, 200, again.text);
  assert.equal(count("rate limits shared through Redis again"), 1);
  assert.equal(count("rate limits degraded"), 1);
  assert.equal(await gauge("rate_limits"), 0);
  assert.equal(await gauge("quotas"), 0);
  assert.equal(await gauge("invalidations"), 0);
});
