/**
 * @module test/metering/output-bound-http
 * What a chat call reserves, over real HTTP against the loopback fake (review finding 6): the output bound
 * is `max_tokens` times `n` (an invalid `n` is a 400 before anything is reserved or sent), the larger of
 * `max_tokens` and `max_completion_tokens`, and each image, audio or file part adds an input floor.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { GatewayConfigInput } from "../../src/config/index.ts";
import { type FakeAnthropicProvider, startFakeAnthropicProvider } from "../peers/fake-anthropic-provider.ts";
import { call, errorOf } from "../support/gateway-client.ts";
import { type GatewayUser, type ModelGateway, startModelGateway } from "../support/model-gateway.ts";
import { ADMIN_TOKEN } from "../support/start-gateway.ts";

const LIMIT = 10;
const INPUT_LIMIT = 1000;
const features: GatewayConfigInput["features"] = {
  summary: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }] },
};
const plans: GatewayConfigInput["plans"] = {
  output: { limits: [{ meter: "output_tokens", period: "day", limit: LIMIT }] },
  input: { limits: [{ meter: "input_tokens", period: "day", limit: INPUT_LIMIT }] },
};
const IMAGE_PART = { type: "image_url", image_url: { url: "https://example.com/cat.png" } };

describe("the output bound of a chat call", () => {
  let env: ModelGateway;
  before(async () => {
    env = await startModelGateway({ features, config: { plans, metering: { reservationWaitMs: 0 } } });
  });
  after(() => env.close());

  async function userOnPlan(plan: string): Promise<GatewayUser> {
    const user = await env.user();
    const response = await call(env.gateway, "PUT", `/admin/users/${user.id}/plan`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: { plan },
    });
    assert.equal(response.status, 200, response.text);
    return user;
  }

  function chat(user: GatewayUser, body: Record<string, unknown>) {
    return call(env.gateway, "POST", "/v1/chat/completions", {
      token: user.token,
      body: { model: "summary", messages: [{ role: "user", content: "hi" }], ...body },
    });
  }

  async function usedOf(user: GatewayUser): Promise<number> {
    const response = await call(env.gateway, "GET", "/v1/usage", { token: user.token });
    assert.equal(response.status, 200, response.text);
    return (response.body as { limits: Array<{ used: number }> }).limits[0]!.used;
  }

  test("n multiplies max_tokens: 5 choices of 3 tokens do not fit 10 and are refused before anything is sent", async () => {
    const user = await userOnPlan("output");
    const sent = env.fakes.openai.requests.length;
    const refused = await chat(user, { n: 5, max_tokens: 3 });
    assert.equal(refused.status, 402, refused.text);
    assert.equal(errorOf(refused).type, "quota_exceeded");
    assert.match(errorOf(refused).message, /would be exceeded by this request's max_tokens/);
    assert.equal(env.fakes.openai.requests.length, sent, "nothing reached the upstream");
    // 3 × 3 fits: served, and the upstream got the client's n as sent.
    const served = await chat(user, { n: 3, max_tokens: 3 });
    assert.equal(served.status, 200, served.text);
    assert.equal((env.fakes.openai.requests.at(-1)!.body as { n?: unknown }).n, 3);
  });

  test("with both max fields the larger is reserved (an upstream may read either)", async () => {
    const user = await userOnPlan("output");
    const sent = env.fakes.openai.requests.length;
    for (const body of [
      { max_completion_tokens: 1, max_tokens: LIMIT + 1 },
      { max_completion_tokens: LIMIT + 1, max_tokens: 1 },
    ]) {
      const refused = await chat(user, body);
      assert.equal(refused.status, 402, `${JSON.stringify(body)}: ${refused.text}`);
    }
    assert.equal(env.fakes.openai.requests.length, sent);
    assert.equal((await chat(user, { max_completion_tokens: LIMIT, max_tokens: 1 })).status, 200);
  });

  test("an n that is not a positive integer answers 400 invalid_request naming n; nothing is reserved or sent", async () => {
    const user = await userOnPlan("output");
    const sent = env.fakes.openai.requests.length;
    for (const n of [0, -1, 1.5, "2", true, [2], { n: 2 }, 1e20]) {
      const refused = await chat(user, { n, max_tokens: 1 });
      assert.equal(refused.status, 400, `n=${JSON.stringify(n)}: ${refused.text}`);
      assert.equal(errorOf(refused).type, "invalid_request");
      assert.equal(errorOf(refused).param, "n");
      // The chat request contract refuses it before a route is chosen.
      assert.equal(refused.headers.get("x-byok-route"), null);
    }
    assert.equal(env.fakes.openai.requests.length, sent, "nothing reached the upstream");
    assert.equal(await usedOf(user), 0);
    // Absent or null is one choice.
    assert.equal((await chat(user, { n: null, max_tokens: 1 })).status, 200);
  });

  test("a max_tokens times n past every number is a 402, never a 500", async () => {
    const user = await userOnPlan("output");
    const refused = await chat(user, { n: 2 ** 53 - 1, max_tokens: 1e308 });
    assert.equal(refused.status, 402, refused.text);
  });

  test("an image part reserves an input floor: a call holding it leaves no room for another", async () => {
    const user = await userOnPlan("input");
    const client = new AbortController();
    // A stream the fake never finishes holds its reservation (a short URL: a few tokens by its size).
    const holder = await fetch(`${env.gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "summary",
        stream: true,
        messages: [{ role: "user", content: [{ type: "text", text: "hang" }, IMAGE_PART] }],
      }),
      signal: client.signal,
    });
    assert.equal(holder.status, 200);
    const reader = holder.body!.getReader();
    await reader.read();
    try {
      const held = await chat(user, {});
      assert.equal(
        held.status,
        429,
        `the image's floor (1600 ≥ ${INPUT_LIMIT}) holds the meter: ${held.text}`,
      );
      assert.equal(errorOf(held).code, "quota_reserved");
    } finally {
      const closed = env.fakes.openai.nextAbortedResponse();
      client.abort();
      await closed;
    }
  });
});

describe("an Anthropic image block reserves the same input floor", () => {
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
        defaultPlan: "input",
        metering: { reservationWaitMs: 0 },
      },
    });
  });
  after(async () => {
    await env.close();
    await anthropic.close();
  });

  test("a /v1/messages stream holding an image leaves no room for another call", async () => {
    const user = await env.user();
    const post = (body: Record<string, unknown>, signal?: AbortSignal) =>
      fetch(`${env.gateway.url}/v1/messages`, {
        method: "POST",
        headers: { "x-api-key": user.token, "content-type": "application/json" },
        body: JSON.stringify({ model: "claude", max_tokens: 1, ...body }),
        ...(signal === undefined ? {} : { signal }),
      });
    const client = new AbortController();
    const image = { type: "image", source: { type: "url", url: "https://example.com/cat.png" } };
    const holder = await post(
      { stream: true, messages: [{ role: "user", content: [{ type: "text", text: "hang" }, image] }] },
      client.signal,
    );
    assert.equal(holder.status, 200);
    const reader = holder.body!.getReader();
    await reader.read();
    try {
      const held = await post({ messages: [{ role: "user", content: "hi" }] });
      const text = await held.text();
      assert.equal(held.status, 429, text);
      assert.match(text, /quota_reserved/);
    } finally {
      client.abort();
      await reader.cancel().catch(() => undefined);
    }
  });
});
