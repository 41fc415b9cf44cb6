/**
 * @module test/metering/rate-limits-http
 * Rate limits over HTTP: requests per minute and concurrent streams per user apply to everyone, BYOK
 * included, with 429 and Retry-After; unauthenticated requests are limited per client address.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { GatewayConfigInput } from "../../src/config/index.ts";
import { addressKey } from "../../src/metering/create-anonymous-limit.ts";
import { call, errorOf } from "../support/gateway-client.ts";
import { type GatewayUser, type ModelGateway, startModelGateway } from "../support/model-gateway.ts";

const USER_KEY = "sk-user-openai-rates-00000000000000000";
const features: GatewayConfigInput["features"] = {
  summary: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }] },
};

function chat(env: ModelGateway, user: GatewayUser, body: Record<string, unknown> = {}) {
  return call(env.gateway, "POST", "/v1/chat/completions", {
    token: user.token,
    headers: user.headers,
    body: { model: "summary", messages: [{ role: "user", content: "hi" }], ...body },
  });
}

describe("rate limits", () => {
  let env: ModelGateway;
  before(async () => {
    env = await startModelGateway({
      features,
      config: {
        rateLimits: { requestsPerMinute: 3, concurrentStreams: 1, anonymousRequestsPerMinute: 3 },
        plans: { roomy: { rateLimits: { requestsPerMinute: 5 } } },
      },
    });
  });
  after(() => env.close());

  for (const kind of ["BYOK-served", "operator-served"] as const) {
    test(`the (N+1)th request in a minute gets 429 with Retry-After (${kind})`, async () => {
      const user = await env.user(kind === "BYOK-served" ? { openai: USER_KEY } : {});
      for (let index = 0; index < 3; index++) assert.equal((await chat(env, user)).status, 200);
      const refused = await chat(env, user);
      assert.equal(refused.status, 429, refused.text);
      assert.equal(errorOf(refused).type, "rate_limited");
      assert.equal(errorOf(refused).code, "requests_per_minute");
      const retryAfter = Number(refused.headers.get("retry-after"));
      assert.ok(
        Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60,
        `retry-after ${retryAfter}`,
      );
      env.gateway.clock.advance(retryAfter * 1000);
      assert.equal((await chat(env, user)).status, 200, "after Retry-After the request passes");
    });
  }

  test("a plan's own rate limit overrides the global one", async () => {
    const user = await env.user();
    await env.gateway.byok.users.setPlan(user.id, "roomy");
    const statuses = [];
    for (let index = 0; index < 6; index++) statuses.push((await chat(env, user)).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
  });

  test("the concurrent-stream limit holds, BYOK included, and frees when a stream ends", async () => {
    const user = await env.user({ openai: USER_KEY });
    const first = new AbortController();
    const open = await fetch(`${env.gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json", ...user.headers },
      body: JSON.stringify({ model: "summary", stream: true, messages: [{ role: "user", content: "hang" }] }),
      signal: first.signal,
    });
    assert.equal(open.status, 200);
    const reader = open.body!.getReader();
    await reader.read();
    const second = await chat(env, user, { stream: true });
    assert.equal(second.status, 429);
    assert.equal(errorOf(second).code, "concurrent_streams");
    assert.equal(second.headers.get("retry-after"), "1");
    assert.equal((await chat(env, user)).status, 200, "a non-streamed request is not a stream");
    const closed = env.fakes.openai.nextAbortedResponse();
    first.abort();
    await closed;
    await env.gateway.waitForLog('"outcome":"client_aborted"');
    env.gateway.clock.advance(60_000); // the per-minute window, not the stream slot, is what this waits for
    const third = await chat(env, user, { stream: true });
    assert.equal(third.status, 200, third.text);
  });

  test("unauthenticated requests are limited per client address; past the limit even a valid token waits", async () => {
    const user = await env.user();
    const bad = () =>
      call(env.gateway, "POST", "/v1/chat/completions", {
        token: "byok_not-a-real-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        body: {},
      });
    for (let index = 0; index < 3; index++) assert.equal((await bad()).status, 401);
    const refused = await bad();
    assert.equal(refused.status, 429);
    assert.equal(errorOf(refused).code, "anonymous_requests_per_minute");
    assert.ok(Number(refused.headers.get("retry-after")) >= 1);
    assert.equal((await chat(env, user)).status, 429, "guessing stops paying off: no 200/401 oracle");
    env.gateway.clock.advance(61_000);
    assert.equal((await chat(env, user)).status, 200);
    const metrics = await call(env.gateway, "GET", "/metrics");
    assert.match(
      metrics.text,
      /byok_rate_limit_rejections_total\{limit="anonymous_requests_per_minute"\} [1-9]/,
    );
    assert.match(metrics.text, /byok_rate_limit_rejections_total\{limit="requests_per_minute"\} [1-9]/);
  });
});

test("client addresses: IPv4 as is, IPv6 grouped by /64, IPv4-mapped IPv6 as IPv4", () => {
  assert.equal(addressKey("203.0.113.7"), "203.0.113.7");
  assert.equal(addressKey("::ffff:203.0.113.7"), "203.0.113.7");
  assert.equal(addressKey("2001:db8:aa:bb:1:2:3:4"), "2001:db8:aa:bb::/64");
  assert.equal(addressKey("2001:db8:aa:bb::9"), "2001:db8:aa:bb::/64");
  assert.equal(addressKey("2001:db8::1"), "2001:db8:0:0::/64");
  assert.equal(addressKey("::1"), "0:0:0:0::/64");
});
