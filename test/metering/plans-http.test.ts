/**
 * @module test/metering/plans-http
 * Plans over HTTP against loopback fakes: operator-served requests are limited and answered 402 with the
 * plan's numbers; BYOK-served ones are recorded and never limited; only a key that actually served
 * makes a call BYOK; counters hold exactly under concurrency; tokens are reserved and reconciled.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { GatewayConfigInput } from "../../src/config/index.ts";
import { call, enroll, errorOf, type JsonResponse } from "../support/gateway-client.ts";
import { type GatewayUser, type ModelGateway, startModelGateway } from "../support/model-gateway.ts";
import { ADMIN_TOKEN } from "../support/start-gateway.ts";

const USER_KEY = "sk-user-openai-plans-0000000000000000";
const FREE_REQUESTS = 3;

const features: GatewayConfigInput["features"] = {
  summary: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }] },
  agent: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }] },
};
const plans: GatewayConfigInput["plans"] = {
  free: { limits: [{ meter: "requests", period: "month", limit: FREE_REQUESTS, features: ["summary"] }] },
  burst: { limits: [{ meter: "requests", period: "day", limit: 10 }] },
  tokens: { limits: [{ meter: "tokens", period: "day", limit: 100 }] },
  pro: { limits: [{ meter: "requests", period: "month", limit: 10_000 }] },
};

function chat(
  env: ModelGateway,
  user: GatewayUser,
  body: Record<string, unknown> = {},
  headers = user.headers,
) {
  return call(env.gateway, "POST", "/v1/chat/completions", {
    token: user.token,
    headers,
    body: { model: "summary", messages: [{ role: "user", content: "hi" }], ...body },
  });
}

interface UsageView {
  plan: string | null;
  limits: Array<{
    meter: string;
    scope: string;
    used: number;
    limit: number;
    remaining: number;
    resets_at: string;
  }>;
  usage: {
    byok: { requests: number; input_tokens: number; output_tokens: number; estimated_requests: number };
    operator: { requests: number; input_tokens: number; output_tokens: number; estimated_requests: number };
    by_feature: Array<{ feature: string | null; source: string; requests: number }>;
  };
}

async function usageOf(env: ModelGateway, user: GatewayUser): Promise<UsageView> {
  const response = await call(env.gateway, "GET", "/v1/usage", { token: user.token });
  assert.equal(response.status, 200, response.text);
  return response.body as UsageView;
}

async function setPlan(env: ModelGateway, user: GatewayUser, plan: string): Promise<void> {
  const response = await call(env.gateway, "PUT", `/admin/users/${user.id}/plan`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: { plan },
  });
  assert.equal(response.status, 200, response.text);
}

function assertQuotaError(response: JsonResponse, expected: Record<string, unknown>): void {
  assert.equal(response.status, 402, response.text);
  const error = errorOf(response) as unknown as Record<string, unknown>;
  assert.equal(error.type, "quota_exceeded");
  for (const [field, value] of Object.entries(expected)) assert.equal(error[field], value, field);
  assert.match(String(error.resets_at), /^\d{4}-\d\d-\d\dT/);
}

describe("plans", () => {
  let env: ModelGateway;
  before(async () => {
    env = await startModelGateway({ features, config: { plans, defaultPlan: "free" } });
  });
  after(() => env.close());

  test("request N+1 on the operator's key gets 402; BYOK-served requests keep succeeding and count as BYOK", async () => {
    const user = await env.user({ openai: USER_KEY });
    const noKeys = { ...user.headers };
    delete noKeys["x-byok-openai"];
    for (let index = 0; index < FREE_REQUESTS; index++) {
      const served = await chat(env, user, {}, noKeys);
      assert.equal(served.status, 200, served.text);
      assert.equal(served.headers.get("x-byok-route"), "openai/gpt-4.1-mini; source=operator");
    }
    const refused = await chat(env, user, {}, noKeys);
    assertQuotaError(refused, {
      plan: "free",
      meter: "requests",
      used: FREE_REQUESTS,
      limit: FREE_REQUESTS,
      code: "requests",
    });
    assert.equal(refused.headers.get("x-byok-route"), "openai/gpt-4.1-mini; source=operator");

    for (let index = 0; index < 5; index++) {
      const byok = await chat(env, user);
      assert.equal(byok.status, 200, byok.text);
      assert.equal(byok.headers.get("x-byok-route"), "openai/gpt-4.1-mini; source=byok");
    }
    const usage = await usageOf(env, user);
    assert.equal(usage.plan, "free");
    assert.equal(usage.usage.operator.requests, FREE_REQUESTS);
    assert.equal(usage.usage.byok.requests, 5);
    const limit = usage.limits.find((entry) => entry.meter === "requests");
    assert.deepEqual(
      { used: limit?.used, remaining: limit?.remaining },
      { used: FREE_REQUESTS, remaining: 0 },
    );
  });

  test("a feature outside the limit's group is not limited by it", async () => {
    const user = await env.user();
    for (let index = 0; index < FREE_REQUESTS + 2; index++) {
      const served = await chat(env, user, { model: "agent" });
      assert.equal(served.status, 200, served.text);
    }
  });

  test("BYOK headers without an active enrollment are metered and limited as operator-served", async () => {
    const user = await env.user(); // never enrolled: the key is dropped
    const headers = { "x-byok-openai": USER_KEY };
    for (let index = 0; index < FREE_REQUESTS; index++) {
      const served = await chat(env, user, {}, headers);
      assert.equal(served.status, 200);
      assert.match(served.headers.get("x-byok-status") ?? "", /^inactive/);
      assert.equal(served.headers.get("x-byok-route"), "openai/gpt-4.1-mini; source=operator");
    }
    assertQuotaError(await chat(env, user, {}, headers), { meter: "requests" });
    assert.equal((await usageOf(env, user)).usage.operator.requests, FREE_REQUESTS);
  });

  test("a key dropped because its provider was not enrolled is metered as operator-served", async () => {
    const user = await env.user({ gemini: "AIza-user-gemini-plans-000000000000" });
    const headers = { ...user.headers, "x-byok-openai": USER_KEY }; // openai never enrolled
    const served = await chat(env, user, {}, headers);
    assert.equal(served.status, 200);
    assert.match(served.headers.get("x-byok-status") ?? "", /dropped=openai/);
    assert.equal(served.headers.get("x-byok-route"), "openai/gpt-4.1-mini; source=operator");
    const usage = await usageOf(env, user);
    assert.equal(usage.usage.operator.requests, 1);
    assert.equal(usage.usage.byok.requests, 0);
  });

  test("50 concurrent requests against a limit of 10: exactly 10 succeed, every time", async () => {
    for (let round = 0; round < 3; round++) {
      const user = await env.user();
      await setPlan(env, user, "burst");
      const responses = await Promise.all(Array.from({ length: 50 }, () => chat(env, user)));
      const statuses = responses.map((response) => response.status);
      assert.equal(
        statuses.filter((status) => status === 200).length,
        10,
        `round ${round}: ${statuses.join(",")}`,
      );
      assert.equal(statuses.filter((status) => status === 402).length, 40);
      const usage = await usageOf(env, user);
      assert.equal(usage.limits[0]?.used, 10);
      assert.equal(usage.usage.operator.requests, 10);
    }
  });

  test("token limits: reserved from max_tokens, reconciled from reported usage, streams included", async () => {
    const user = await env.user();
    await setPlan(env, user, "tokens");
    const crossing = await chat(env, user, { max_tokens: 101 });
    assertQuotaError(crossing, { plan: "tokens", meter: "tokens", used: 0, limit: 100 });

    const stream = await chat(env, user, { stream: true, max_tokens: 50 });
    assert.equal(stream.status, 200);
    const expected = env.fakes.openai.requests.at(-1);
    assert.ok(expected);
    const usage = await usageOf(env, user);
    // The fake reports prompt + completion tokens in its final usage chunk; the 50 reserved are returned.
    const used = usage.usage.operator.input_tokens + usage.usage.operator.output_tokens;
    assert.ok(used > 0 && used < 50, `used ${used}`);
    assert.equal(usage.limits[0]?.used, used, "the counter holds the reported usage, not the reservation");
    assert.equal(usage.usage.operator.estimated_requests, 0);
  });

  test("a stream cut off by the client is still recorded, charged its reservation (estimated)", async () => {
    const user = await env.user();
    const client = new AbortController();
    const response = await fetch(`${env.gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "agent", stream: true, messages: [{ role: "user", content: "hang" }] }),
      signal: client.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    const closed = env.fakes.openai.nextAbortedResponse();
    client.abort();
    await closed;
    await env.gateway.waitForLog('"outcome":"client_aborted"');
    const usage = await usageOf(env, user);
    assert.equal(usage.usage.operator.requests, 1);
    assert.equal(usage.usage.operator.estimated_requests, 1);
    assert.ok(usage.usage.operator.input_tokens > 0);
    // No max_tokens: the reserved output bound is the default ceiling, whatever the client read.
    assert.equal(usage.usage.operator.output_tokens, 4096);
  });

  test("the admin sets plans (unknown ones refused) and reads usage by user and over time", async () => {
    const user = await env.user();
    const bad = await call(env.gateway, "PUT", `/admin/users/${user.id}/plan`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: { plan: "platinum" },
    });
    assert.equal(bad.status, 400);
    assert.equal(errorOf(bad).param, "plan");
    await setPlan(env, user, "pro");
    assert.equal((await chat(env, user)).status, 200);
    const report = await call(env.gateway, "GET", `/admin/users/${user.id}/usage`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(report.status, 200);
    assert.equal((report.body as UsageView).plan, "pro");
    assert.equal((report.body as UsageView).usage.operator.requests, 1);
    const series = await call(
      env.gateway,
      "GET",
      `/admin/usage?user=${user.id}&bucket=day&from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z`,
      {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      },
    );
    assert.equal(series.status, 200, series.text);
    const rows = (series.body as { data: Array<{ source: string; requests: number }> }).data;
    assert.equal(
      rows.reduce((sum, row) => sum + row.requests, 0),
      1,
    );
    const badRange = await call(env.gateway, "GET", "/admin/usage?from=yesterday", {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(badRange.status, 400);
    assert.equal(errorOf(badRange).param, "from");
  });
});

describe("enrollment does not matter to quotas of features served by the user", () => {
  let env: ModelGateway;
  before(async () => {
    env = await startModelGateway({ features, config: { plans, defaultPlan: "free" } });
  });
  after(() => env.close());

  test("re-enrolling never resets operator usage", async () => {
    const user = await env.user({ openai: USER_KEY });
    const noKeys: Record<string, string> = {};
    for (let index = 0; index < FREE_REQUESTS; index++)
      assert.equal((await chat(env, user, {}, noKeys)).status, 200);
    assert.equal((await enroll(env.gateway, user.token, { openai: USER_KEY })).status, 200);
    assert.equal((await chat(env, user, {}, noKeys)).status, 402);
  });
});
