/**
 * @module test/http/circuit-breakers-redis-admin
 * Two gateways sharing one Redis (a key prefix of their own): a breaker opened by failures counted on one
 * is open on the other, its admin API and /metrics say so, and a reset through the other's admin API
 * closes it on both.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { call } from "../support/gateway-client.ts";
import { ADMIN_TOKEN, startGateway, type TestGateway } from "../support/start-gateway.ts";
import { openTestRedis, type TestRedis } from "../support/test-redis.ts";

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const UPSTREAM = "openai|operator";
let redis: TestRedis;
let first: TestGateway;
let second: TestGateway;

before(async () => {
  redis = await openTestRedis();
  const config = {
    redis: { url: redis.url, keyPrefix: redis.prefix },
    resilience: { breakers: { failureThreshold: 3, openMs: 60_000 } },
  };
  first = await startGateway({ config });
  second = await startGateway({ config });
});
after(async () => {
  await first.close();
  await second.close();
  await redis.close();
});

test("a breaker opened through one replica is open on the other; a reset on the other closes both", async () => {
  const heard = second.waitForLog("circuit breaker opened");
  for (let failure = 0; failure < 3; failure++) first.byok.breakers.failed(UPSTREAM);
  assert.match(await heard, /openai\|operator/);
  assert.equal(second.byok.breakers.allow(UPSTREAM), false);
  const listed = await call(second, "GET", "/admin/breakers", { headers: admin });
  const states = (listed.body as { data: { upstream: string; state: string }[] }).data;
  assert.equal(states.find((breaker) => breaker.upstream === UPSTREAM)?.state, "open");
  const scraped = await call(second, "GET", "/metrics");
  assert.match(scraped.text, /byok_circuit_breaker_state\{upstream="openai\|operator"\} 2/);

  const closedOnFirst = first.waitForLog("circuit breaker closed");
  const reset = await call(second, "POST", "/admin/breakers/reset", {
    headers: admin,
    body: { upstream: UPSTREAM },
  });
  assert.deepEqual(reset.body, { upstream: UPSTREAM, shared: true, state: "closed" });
  await closedOnFirst;
  assert.equal(first.byok.breakers.allow(UPSTREAM), true);
  assert.equal(second.byok.breakers.allow(UPSTREAM), true);
});
