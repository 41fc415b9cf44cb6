/**
 * @module test/http/circuit-breakers-admin
 * The circuit breakers as an operator sees them over real HTTP: `GET /admin/breakers` and
 * `POST /admin/breakers/reset` behind the admin token, `byok_circuit_breaker_state` and
 * `byok_circuit_breaker_transitions_total` in /metrics, one log line per transition naming the upstream.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { call } from "../support/gateway-client.ts";
import { ADMIN_TOKEN, startGateway, type TestGateway } from "../support/start-gateway.ts";

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const UPSTREAM = "openai|operator";
let gateway: TestGateway;

before(async () => {
  gateway = await startGateway({
    config: { resilience: { breakers: { failureThreshold: 2, openMs: 5_000 } } },
  });
});
after(() => gateway.close());

async function metricLines(prefix: string): Promise<string[]> {
  const scraped = await call(gateway, "GET", "/metrics");
  assert.equal(scraped.status, 200);
  return scraped.text.split("\n").filter((line) => line.startsWith(prefix));
}

test("the admin API needs the admin token", async () => {
  const listed = await call(gateway, "GET", "/admin/breakers");
  assert.equal(listed.status, 401);
  const reset = await call(gateway, "POST", "/admin/breakers/reset", { body: { upstream: UPSTREAM } });
  assert.equal(reset.status, 401);
});

test("an opened breaker shows in the admin API and /metrics; a reset closes it", async () => {
  const { breakers } = gateway.byok;
  const opened = gateway.waitForLog("circuit breaker opened");
  breakers.failed(UPSTREAM);
  breakers.failed(UPSTREAM);
  breakers.failed("anthropic|byok");
  const line = JSON.parse(await opened) as { breaker: { upstream: string; to: string } };
  assert.deepEqual(line.breaker, { upstream: UPSTREAM, to: "open" });

  const listed = await call(gateway, "GET", "/admin/breakers", { headers: admin });
  assert.equal(listed.status, 200);
  const openAt = gateway.clock.now() + 5_000;
  assert.deepEqual(listed.body, {
    data: [
      { upstream: UPSTREAM, state: "open", failures: 2, retryAt: new Date(openAt).toISOString() },
      { upstream: "anthropic|byok", state: "closed", failures: 1, retryAt: null },
    ],
  });
  assert.deepEqual(await metricLines("byok_circuit_breaker_state{"), [
    `byok_circuit_breaker_state{upstream="${UPSTREAM}"} 2`,
    'byok_circuit_breaker_state{upstream="anthropic|byok"} 0',
  ]);

  const reset = await call(gateway, "POST", "/admin/breakers/reset", {
    headers: admin,
    body: { upstream: UPSTREAM },
  });
  assert.equal(reset.status, 200);
  assert.deepEqual(reset.body, { upstream: UPSTREAM, shared: false, state: "closed" });
  assert.equal(breakers.allow(UPSTREAM), true);
  assert.deepEqual(await metricLines("byok_circuit_breaker_state{"), [
    `byok_circuit_breaker_state{upstream="${UPSTREAM}"} 0`,
    'byok_circuit_breaker_state{upstream="anthropic|byok"} 0',
  ]);
  assert.deepEqual(await metricLines("byok_circuit_breaker_transitions_total{"), [
    `byok_circuit_breaker_transitions_total{upstream="${UPSTREAM}",to="open"} 1`,
    `byok_circuit_breaker_transitions_total{upstream="${UPSTREAM}",to="closed"} 1`,
  ]);
});

test("a reset names an upstream as `<connection>|byok` or `<connection>|operator`", async () => {
  for (const body of [{}, { upstream: "openai" }, { upstream: "openai|someone" }, { upstream: 5 }, null]) {
    const refused = await call(gateway, "POST", "/admin/breakers/reset", { headers: admin, body });
    assert.equal(refused.status, 400, JSON.stringify(body));
    assert.equal((refused.body as { error: { type: string } }).error.type, "invalid_request");
  }
});
