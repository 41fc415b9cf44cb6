/**
 * @module test/metering/token-reservations-http
 * Token meters that mean what they say, over real HTTP with 50 concurrent requests against a loopback
 * fake: an upper bound is reserved before the call and reconciled after, a failed call refunds at
 * once, and only committed usage answers 402 (in-flight reservations of others wait, then 429).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { GatewayConfigInput } from "../../src/config/index.ts";
import { estimateTokens } from "../../src/wire/openai/count-delta-text.ts";
import { type FakeAnthropicProvider, startFakeAnthropicProvider } from "../peers/fake-anthropic-provider.ts";
import { call, errorOf, type JsonResponse } from "../support/gateway-client.ts";
import { type GatewayUser, type ModelGateway, startModelGateway } from "../support/model-gateway.ts";
import { ADMIN_TOKEN } from "../support/start-gateway.ts";

const LIMIT = 10;
const CEILING = 16;
const CONCURRENT = 50;
const ROUNDS = 3;
/** The fake answers "Hello from <model>" to "hi": 1 prompt token + 3 completion tokens. */
const TOKENS_PER_CALL = 4;
/** Calls served while committed usage is below the limit, one at a time: 0 → 4 → 8 → 12. */
const SERVED = Math.ceil(LIMIT / TOKENS_PER_CALL);

const features: GatewayConfigInput["features"] = {
  summary: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }] },
};
const plans: GatewayConfigInput["plans"] = {
  tokens: { limits: [{ meter: "tokens", period: "day", limit: LIMIT }] },
  requests: { limits: [{ meter: "requests", period: "day", limit: LIMIT }] },
  output: { limits: [{ meter: "output_tokens", period: "day", limit: LIMIT }] },
};

function chat(env: ModelGateway, user: GatewayUser, body: Record<string, unknown> = {}) {
  return call(env.gateway, "POST", "/v1/chat/completions", {
    token: user.token,
    body: { model: "summary", messages: [{ role: "user", content: "hi" }], ...body },
  });
}

async function userOnPlan(env: ModelGateway, plan: string): Promise<GatewayUser> {
  const user = await env.user();
  const response = await call(env.gateway, "PUT", `/admin/users/${user.id}/plan`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: { plan },
  });
  assert.equal(response.status, 200, response.text);
  return user;
}

async function counterOf(env: ModelGateway, user: GatewayUser): Promise<number> {
  const response = await call(env.gateway, "GET", "/v1/usage", { token: user.token });
  assert.equal(response.status, 200, response.text);
  const limits = (response.body as { limits: Array<{ used: number }> }).limits;
  assert.equal(limits.length, 1);
  return limits[0]!.used;
}

function tally(responses: readonly JsonResponse[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const response of responses) counts[response.status] = (counts[response.status] ?? 0) + 1;
  return counts;
}

/** One call's reservation on `tokens`: the upstream request's estimated input plus the output bound. */
function reservationOf(env: ModelGateway, outputBound: number): number {
  const sent = env.fakes.openai.requests.at(-1);
  assert.ok(sent, "a request reached the fake");
  return estimateTokens(Buffer.byteLength(JSON.stringify(sent.body))) + outputBound;
}

describe("token meters under 50 concurrent requests", () => {
  let env: ModelGateway;
  before(async () => {
    env = await startModelGateway({
      features,
      config: {
        plans,
        metering: { defaultMaxOutputTokens: CEILING, reservationWaitMs: 30_000 },
        // The outage below fails 50 calls at once, four rounds in a row: with breakers on (the default) the
        // upstream's breaker opens and later calls are skipped (circuit_open) before they are metered. What
        // this suite measures is metering under an outage, so every failing call must reach the upstream;
        // breakers have their own tests (test/resilience).
        resilience: { breakers: { enabled: false } },
      },
    });
  });
  after(() => env.close());

  test("without max_tokens the ceiling is reserved: the meter ends within the limit plus one reservation", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const user = await userOnPlan(env, "tokens");
      const responses = await Promise.all(Array.from({ length: CONCURRENT }, () => chat(env, user)));
      const counts = tally(responses);
      assert.deepEqual(counts, { 200: SERVED, 402: CONCURRENT - SERVED }, `round ${round}`);
      for (const refused of responses.filter((response) => response.status === 402)) {
        assert.equal(errorOf(refused).type, "quota_exceeded");
      }
      const used = await counterOf(env, user);
      assert.equal(used, SERVED * TOKENS_PER_CALL, `round ${round}`);
      assert.ok(used <= LIMIT + reservationOf(env, CEILING), `round ${round}: ${used}`);
    }
  });

  test("with max_tokens: 1 input tokens are reserved too: the meter ends within the limit plus one reservation", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const user = await userOnPlan(env, "tokens");
      const responses = await Promise.all(
        Array.from({ length: CONCURRENT }, () => chat(env, user, { max_tokens: 1 })),
      );
      assert.deepEqual(tally(responses), { 200: SERVED, 402: CONCURRENT - SERVED }, `round ${round}`);
      const used = await counterOf(env, user);
      assert.equal(used, SERVED * TOKENS_PER_CALL, `round ${round}`);
      assert.ok(used <= LIMIT + reservationOf(env, 1), `round ${round}: ${used}`);
    }
  });

  test("the requests meter meters exactly the limit", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const user = await userOnPlan(env, "requests");
      const responses = await Promise.all(Array.from({ length: CONCURRENT }, () => chat(env, user)));
      assert.deepEqual(tally(responses), { 200: LIMIT, 402: CONCURRENT - LIMIT }, `round ${round}`);
      assert.equal(await counterOf(env, user), LIMIT);
    }
  });

  test("during an upstream outage: zero 402s, every request reaches the upstream, nothing is charged", async () => {
    for (const plan of ["tokens", "requests"]) {
      for (let round = 0; round < ROUNDS; round++) {
        const user = await userOnPlan(env, plan);
        const before = env.fakes.openai.requests.length;
        for (let index = 0; index < CONCURRENT; index++) {
          env.fakes.openai.failNext(500, { message: "The server had an error", type: "server_error" });
        }
        const responses = await Promise.all(Array.from({ length: CONCURRENT }, () => chat(env, user)));
        const counts = tally(responses);
        assert.equal(counts[402], undefined, `${plan} round ${round}: ${JSON.stringify(counts)}`);
        assert.ok(
          responses.every((response) => response.status >= 500),
          `${plan} round ${round}: ${JSON.stringify(counts)}`,
        );
        assert.equal(env.fakes.openai.requests.length - before, CONCURRENT, "every request was sent");
        assert.equal(await counterOf(env, user), 0, `${plan} round ${round}`);
      }
    }
  });

  test("a max_tokens that does not fit what is left is refused with 402 naming it, before anything is sent", async () => {
    const user = await userOnPlan(env, "output");
    const before = env.fakes.openai.requests.length;
    const refused = await chat(env, user, { max_tokens: LIMIT + 1 });
    assert.equal(refused.status, 402, refused.text);
    assert.match(errorOf(refused).message, /would be exceeded by this request's max_tokens/);
    assert.equal(env.fakes.openai.requests.length, before);
    assert.equal((await chat(env, user, { max_tokens: LIMIT })).status, 200);
  });
});

describe("a call refused only by another call's reservation", () => {
  let env: ModelGateway;
  before(async () => {
    env = await startModelGateway({
      features,
      config: { plans, metering: { defaultMaxOutputTokens: CEILING, reservationWaitMs: 0 } },
    });
  });
  after(() => env.close());

  test("answers 429 quota_reserved with Retry-After, not 402; once the holder ends, the next call is served", async () => {
    const user = await userOnPlan(env, "tokens");
    const client = new AbortController();
    const hanging = await fetch(`${env.gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "summary", stream: true, messages: [{ role: "user", content: "hang" }] }),
      signal: client.signal,
    });
    assert.equal(hanging.status, 200);
    const reader = hanging.body!.getReader();
    await reader.read();

    const held = await chat(env, user);
    assert.equal(held.status, 429, held.text);
    assert.equal(errorOf(held).type, "rate_limited");
    assert.equal(errorOf(held).code, "quota_reserved");
    assert.equal(held.headers.get("retry-after"), "1");
    assert.equal(await counterOf(env, user), 0, "nothing is committed while the stream runs");

    const closed = env.fakes.openai.nextAbortedResponse();
    client.abort();
    await closed;
    await env.gateway.waitForLog('"outcome":"client_aborted"');
    // The stream its client cut settled (its reservation committed: input estimate plus the output
    // ceiling) before its record was logged: the next call sees committed usage only, 200 while something
    // is left, else 402; never 429 again.
    const committed = await counterOf(env, user);
    assert.ok(committed > CEILING, `the cut-off stream's reservation is committed (${committed})`);
    const next = await chat(env, user);
    assert.equal(next.status, committed < LIMIT ? 200 : 402, next.text);
    const metrics = await call(env.gateway, "GET", "/metrics");
    assert.match(metrics.text, /byok_rate_limit_rejections_total\{limit="quota_reserved"\} [1-9]/);
  });
});

describe("Anthropic max_tokens reserves on token meters", () => {
  let env: ModelGateway;
  let anthropic: FakeAnthropicProvider;
  before(async () => {
    anthropic = await startFakeAnthropicProvider();
    env = await startModelGateway({
      features: { claude: { routes: [{ provider: "anthropic", model: "claude-fake-1" }] } },
      config: {
        providers: {
          anthropic: { baseUrl: anthropic.origin, apiKey: "sk-ant-operator-00000000000000000000" },
        },
        plans,
        defaultPlan: "output",
        metering: { defaultMaxOutputTokens: CEILING },
      },
    });
  });
  after(async () => {
    await env.close();
    await anthropic.close();
  });

  function messages(user: GatewayUser, raw: string) {
    return fetch(`${env.gateway.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": user.token, "content-type": "application/json" },
      body: raw,
    });
  }

  test("a max_tokens past the limit is refused with 402; one that fits is served", async () => {
    const user = await env.user();
    const body = (maxTokens: number) =>
      JSON.stringify({ model: "claude", max_tokens: maxTokens, messages: [{ role: "user", content: "hi" }] });
    const refused = await messages(user, body(LIMIT + 1));
    assert.equal(refused.status, 402, await refused.text());
    assert.equal((await messages(user, body(LIMIT))).status, 200);
  });

  test("a max_tokens that parses to Infinity is never a 500: the ceiling is reserved instead", async () => {
    const user = await env.user();
    const response = await messages(
      user,
      '{"model":"claude","max_tokens":1e999,"messages":[{"role":"user","content":"hi"}]}',
    );
    const text = await response.text();
    assert.ok(response.status < 500, `${response.status} ${text}`);
    assert.doesNotMatch(text, /internal_error/);
  });
});
