/**
 * @module test/gateway/fallback
 * Routing that survives upstream failures, through the real gateway and the official openai SDK against
 * loopback fakes that fail on command: the documented order of attempts, retries where safe, no retry after
 * the first byte, no BYOK request on an operator key without `fallback.byokToOperator`, a user's key only
 * ever at its own provider, one usage row per attempt and one charge per served request.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type OpenAI from "openai";
import type { GatewayConfigInput } from "../../src/config/index.ts";
import {
  cutStreamMidway,
  failWithStatus,
  refusingBaseUrl,
  stallBeforeHeaders,
} from "../peers/failing-upstream.ts";
import { type FakeProvider, startFakeOpenAiProvider } from "../peers/fake-openai-provider.ts";
import { addUser, call } from "../support/gateway-client.ts";
import { type ModelGateway, OPERATOR_KEYS, startModelGateway } from "../support/model-gateway.ts";

const KEYS = {
  openai: "sk-user-openai-fallback-0000000000",
  openrouter: "sk-or-user-fallback-000000000000",
} as const;
const DEAD_KEY = "sk-operator-dead-connection-0000000";
const ROUTES = [
  { provider: "openai", model: "gpt-4.1-mini" },
  { provider: "openrouter", model: "openai/gpt-4.1-mini" },
  { provider: "gemini", model: "gemini-2.5-flash" },
] as const;
const HI = [{ role: "user" as const, content: "hi" }];

function features(): NonNullable<GatewayConfigInput["features"]> {
  return {
    chain: { routes: [...ROUTES] },
    "chain-to-operator": { routes: [...ROUTES], fallback: { byokToOperator: true } },
    "one-route": { routes: [...ROUTES], fallback: { enabled: false } },
    stall: {
      routes: [
        { connection: "slow", model: "gpt-4.1-mini" },
        { provider: "openrouter", model: "openai/gpt-4.1-mini" },
      ],
    },
    dead: {
      routes: [
        { connection: "dead", model: "gpt-4.1-mini" },
        { provider: "openrouter", model: "openai/gpt-4.1-mini" },
      ],
    },
  };
}

/** The usage rows (`model call served`) recorded for a user, in order: route and outcome. */
function servedRows(env: ModelGateway, userId: string): Array<{ route: string; outcome: string }> {
  return env.gateway.logs
    .filter((line) => line.includes('"model call served"') && line.includes(`"userId":"${userId}"`))
    .map((line) => {
      const { served } = JSON.parse(line) as { served: { route: string; outcome: string } };
      return { route: served.route, outcome: served.outcome };
    });
}

/** Every key a fake received since `from` (any header that carries one). */
function keysSeen(fake: FakeProvider, from: number): string {
  return fake.requests
    .slice(from)
    .map((request) => JSON.stringify(request.headers))
    .join("\n");
}

describe("fallbacks and retries", () => {
  let env: ModelGateway;
  let slow: FakeProvider;
  const counts = () => ({
    openai: env.fakes.openai.requests.length,
    openrouter: env.fakes.openrouter.requests.length,
    gemini: env.fakes.gemini.requests.length,
  });
  before(async () => {
    const deadBaseUrl = await refusingBaseUrl();
    slow = await startFakeOpenAiProvider();
    env = await startModelGateway({
      features: features(),
      config: {
        connections: {
          dead: { kind: "openai", baseUrl: deadBaseUrl, apiKey: DEAD_KEY },
          slow: { kind: "openai", baseUrl: slow.baseUrl, apiKey: DEAD_KEY, timeouts: { headersMs: 200 } },
        },
        routing: { retry: { baseDelayMs: 1, maxDelayMs: 5 } },
        plans: { metered: { limits: [{ meter: "requests", period: "day", limit: 100 }] } },
      },
    });
  });
  after(async () => {
    await env.close();
    await slow.close();
  });

  const chat = async (client: OpenAI, model: string) => {
    const { data, response } = await client.chat.completions.create({ model, messages: HI }).withResponse();
    return { data, route: response.headers.get("x-byok-route") };
  };

  test("BYOK: a 429 without Retry-After moves to the user's next own route, each key only at its provider", async () => {
    const user = await env.user({ ...KEYS });
    const start = counts();
    env.fakes.openai.respondNext(failWithStatus(429));
    const { data, route } = await chat(user.openai, "chain");
    assert.equal(data.choices[0]?.message.content, "Hello from openai/gpt-4.1-mini");
    assert.equal(route, "openrouter/openai/gpt-4.1-mini; source=byok; failed=openai/gpt-4.1-mini@byok:429");
    const now = counts();
    assert.deepEqual(
      [now.openai - start.openai, now.openrouter - start.openrouter, now.gemini - start.gemini],
      [1, 1, 0],
    );
    assert.ok(keysSeen(env.fakes.openai, start.openai).includes(KEYS.openai));
    assert.ok(!keysSeen(env.fakes.openai, start.openai).includes(KEYS.openrouter));
    assert.ok(keysSeen(env.fakes.openrouter, start.openrouter).includes(KEYS.openrouter));
    assert.ok(!keysSeen(env.fakes.openrouter, start.openrouter).includes(KEYS.openai));
    assert.deepEqual(servedRows(env, user.id), [
      { route: "openai/gpt-4.1-mini; source=byok", outcome: "upstream_rejected" },
      { route: "openrouter/openai/gpt-4.1-mini; source=byok", outcome: "ok" },
    ]);
  });

  test("BYOK: a 429 with a short Retry-After is retried on the same route", async () => {
    const user = await env.user({ openai: KEYS.openai });
    const start = counts();
    env.fakes.openai.respondNext(failWithStatus(429, "0"));
    const { route } = await chat(user.openai, "chain");
    assert.equal(route, "openai/gpt-4.1-mini; source=byok; failed=openai/gpt-4.1-mini@byok:429");
    assert.equal(counts().openai - start.openai, 2);
  });

  test("BYOK: a 429 whose Retry-After is too long is not waited for; with no other own route it is the answer", async () => {
    const user = await env.user({ openai: KEYS.openai });
    const start = counts();
    env.fakes.openai.respondNext(failWithStatus(429, "30"));
    const response = await call(env.gateway, "POST", "/v1/chat/completions", {
      token: user.token,
      headers: user.headers,
      body: { model: "chain", messages: HI },
    });
    assert.equal(response.status, 429);
    assert.equal(response.headers.get("retry-after"), "30");
    assert.equal(counts().openai - start.openai, 1);
    assert.equal(counts().gemini - start.gemini, 0, "never moved onto the operator's key");
  });

  test("BYOK: every own route failing ends with the last error, never on an operator key (byokToOperator off)", async () => {
    const user = await env.user({ ...KEYS });
    const start = counts();
    env.fakes.openai.respondNext(failWithStatus(500));
    env.fakes.openrouter.respondNext(failWithStatus(500));
    const response = await call(env.gateway, "POST", "/v1/chat/completions", {
      token: user.token,
      headers: user.headers,
      body: { model: "chain", messages: HI },
    });
    assert.equal(response.status, 502);
    assert.equal(
      response.headers.get("x-byok-route"),
      "openrouter/openai/gpt-4.1-mini; source=byok; failed=openai/gpt-4.1-mini@byok:500",
    );
    assert.equal(counts().gemini - start.gemini, 0);
    assert.ok(!keysSeen(env.fakes.gemini, start.gemini).includes(OPERATOR_KEYS.gemini));
  });

  test("byokToOperator on: a BYOK request whose own routes failed is served on the operator's key", async () => {
    const user = await env.user({ ...KEYS });
    const start = counts();
    env.fakes.openai.respondNext(failWithStatus(500));
    env.fakes.openrouter.respondNext(failWithStatus(500));
    const { route } = await chat(user.openai, "chain-to-operator");
    assert.equal(
      route,
      "openai/gpt-4.1-mini; source=operator; failed=openai/gpt-4.1-mini@byok:500,openrouter/openai/gpt-4.1-mini@byok:500",
    );
    const seen = keysSeen(env.fakes.openai, start.openai);
    assert.ok(seen.includes(KEYS.openai) && seen.includes(OPERATOR_KEYS.openai));
    assert.equal(counts().gemini - start.gemini, 0, "served by the first operator route");
  });

  test("operator-served: a refused operator key (401) moves on (a one-key pool has no other key), charged once", async () => {
    const token = await addUser(env.gateway, `fallback-metered-${Date.now().toString(36)}`, "metered");
    const start = counts();
    env.fakes.openai.respondNext(failWithStatus(401));
    const response = await call(env.gateway, "POST", "/v1/chat/completions", {
      token,
      body: { model: "chain", messages: HI },
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(
      response.headers.get("x-byok-route"),
      "openrouter/openai/gpt-4.1-mini; source=operator; failed=openai/gpt-4.1-mini@operator:401",
    );
    assert.equal(counts().openai - start.openai, 1, "the refused key is not tried again");
    const usage = await call(env.gateway, "GET", "/v1/usage", { token });
    const limits = (usage.body as { limits: Array<{ meter: string; used: number }> }).limits;
    assert.equal(limits.find((limit) => limit.meter === "requests")?.used, 1, "one request charged");
  });

  test("a refused connection is retried once, then the next route serves", async () => {
    const user = await env.user({ ...KEYS });
    const { route } = await chat(user.openai, "dead");
    assert.equal(
      route,
      "openrouter/openai/gpt-4.1-mini; source=byok; failed=dead/gpt-4.1-mini@byok:connect_failed,dead/gpt-4.1-mini@byok:connect_failed",
    );
  });

  test("a 503 with a short Retry-After is retried on the same route", async () => {
    const user = await env.user({ ...KEYS });
    const start = counts();
    env.fakes.openai.respondNext(failWithStatus(503, "0"));
    const { route } = await chat(user.openai, "chain");
    assert.equal(route, "openai/gpt-4.1-mini; source=byok; failed=openai/gpt-4.1-mini@byok:503");
    assert.deepEqual([counts().openai - start.openai, counts().openrouter - start.openrouter], [2, 0]);
  });

  test("fallback.enabled off: one route (its retries aside)", async () => {
    const user = await env.user({ ...KEYS });
    const start = counts();
    env.fakes.openai.respondNext(failWithStatus(500));
    const response = await call(env.gateway, "POST", "/v1/chat/completions", {
      token: user.token,
      headers: user.headers,
      body: { model: "one-route", messages: HI },
    });
    assert.equal(response.status, 502);
    assert.equal(response.headers.get("x-byok-route"), "openai/gpt-4.1-mini; source=byok");
    assert.equal(counts().openrouter - start.openrouter, 0);
  });

  test("a stream cut after its first byte is not retried: the client gets the error event", async () => {
    const user = await env.user({ ...KEYS });
    const start = counts();
    env.fakes.openai.respondNext(cutStreamMidway);
    const stream = await user.openai.chat.completions.create({ model: "chain", messages: HI, stream: true });
    const received: string[] = [];
    await assert.rejects(async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? "");
    });
    assert.deepEqual(received, ["Half"]);
    assert.deepEqual([counts().openai - start.openai, counts().openrouter - start.openrouter], [1, 0]);
  });

  test("a stall before headers moves to the next route without a retry of the stalled one", async () => {
    const user = await env.user({ ...KEYS });
    slow.respondNext(stallBeforeHeaders);
    const before = slow.requests.length;
    const { route } = await chat(user.openai, "stall");
    assert.equal(
      route,
      "openrouter/openai/gpt-4.1-mini; source=byok; failed=slow/gpt-4.1-mini@byok:headers_timeout",
    );
    assert.equal(slow.requests.length - before, 1);
  });
});
