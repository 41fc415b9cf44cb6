/** @module test/gateway/routing-http
 * Routing over HTTP against loopback fakes: X-BYOK-Route, routing errors in OpenAI's envelope, upstream
 * failures (rejected BYOK key reported not replaced, 5xx, 429, refused, time-out), params and prompt_cache_key. */
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import type { GatewayConfigInput } from "../../src/config/index.ts";
import { type FakeProvider, startFakeOpenAiProvider } from "../peers/fake-openai-provider.ts";
import { addUser, call, errorOf, type JsonResponse } from "../support/gateway-client.ts";
import { type ModelGateway, OPERATOR_KEYS, startModelGateway } from "../support/model-gateway.ts";
import { startGateway, type TestGateway } from "../support/start-gateway.ts";

const USER_KEYS = {
  openai: "sk-user-openai-routing-1111111111111111",
  openrouter: "sk-or-user-routing-2222222222222222",
  gemini: "AIza-user-gemini-routing-33333333333",
  custom: "user-custom-routing-4444444444444444",
} as const;

const FEATURES: NonNullable<GatewayConfigInput["features"]> = {
  summary: {
    routes: [{ provider: "openai", model: "gpt-4.1-mini", params: { temperature: 0.2, max_tokens: 64 } }],
  },
  premium: { routes: [{ provider: "openai", model: "gpt-4.1" }], operatorFallback: false },
  tool_agent: {
    needs: ["tools"],
    routes: [{ provider: "openai", model: "gpt-4.1-mini", capabilities: ["chat", "streaming"] }],
  },
  cache_openai: { routes: [{ provider: "openai", model: "gpt-4.1" }] },
  cache_old: { routes: [{ provider: "openai", model: "gpt-3.5-turbo" }] },
  cache_gemini: { routes: [{ provider: "gemini", model: "gemini-2.5-flash" }] },
  cache_openrouter: { routes: [{ provider: "openrouter", model: "openai/gpt-4.1" }] },
  cache_custom: { allowCustom: true, routes: [{ provider: "openai", model: "gpt-4.1" }] },
  cache_derive: { promptCacheKey: "derive", routes: [{ provider: "openai", model: "gpt-4.1" }] },
  cache_off: { promptCacheKey: "off", routes: [{ provider: "openai", model: "gpt-4.1" }] },
};

const MESSAGES = [{ role: "user", content: "hello there" }];

/** A loopback port nothing listens on: bound, noted, closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  server.close();
  await once(server, "close");
  return address.port;
}

function assertOpenAiEnvelope(response: JsonResponse, status: number, type: string): void {
  assert.equal(response.status, status, response.text);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  const body = response.body as Record<string, unknown>;
  assert.deepEqual(Object.keys(body), ["error"]);
  const error = errorOf(response);
  assert.equal(error.type, type);
  assert.equal(typeof error.message, "string");
  assert.ok(error.message.length > 0);
  assert.ok("param" in error && "code" in error, "param and code are present (null when unset)");
}

function bearerOf(fake: FakeProvider, index: number): string | undefined {
  return fake.requests[index]?.headers.authorization;
}

describe("routing over HTTP", () => {
  let env: ModelGateway;
  let userKeys: Awaited<ReturnType<ModelGateway["user"]>>;
  let noKeys: Awaited<ReturnType<ModelGateway["user"]>>;

  before(async () => {
    env = await startModelGateway({ features: FEATURES });
    userKeys = await env.user({
      openai: USER_KEYS.openai,
      openrouter: USER_KEYS.openrouter,
      gemini: USER_KEYS.gemini,
    });
    noKeys = await env.user();
  });
  after(() => env.close());

  const chat = (
    user: { token: string; headers: Record<string, string> },
    body: Record<string, unknown>,
    headers: Record<string, string> = user.headers,
  ) =>
    call(env.gateway, "POST", "/v1/chat/completions", {
      token: user.token,
      headers,
      body: { messages: MESSAGES, ...body },
    });

  describe("X-BYOK-Route on success", () => {
    test("BYOK-served: the user's key, source=byok", async () => {
      const before = env.fakes.openai.requests.length;
      const response = await chat(userKeys, { model: "summary" });
      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers.get("x-byok-route"), "openai/gpt-4.1-mini; source=byok");
      assert.equal(env.fakes.openai.requests.length - before, 1);
      assert.equal(bearerOf(env.fakes.openai, before), `Bearer ${USER_KEYS.openai}`);
    });

    test("operator-served: the operator's key, source=operator", async () => {
      const before = env.fakes.openai.requests.length;
      const response = await chat(noKeys, { model: "summary" });
      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers.get("x-byok-route"), "openai/gpt-4.1-mini; source=operator");
      assert.equal(env.fakes.openai.requests.length - before, 1);
      assert.equal(bearerOf(env.fakes.openai, before), `Bearer ${OPERATOR_KEYS.openai}`);
    });

    test("a direct call with slashes in the model reaches the provider with the whole model", async () => {
      const before = env.fakes.openrouter.requests.length;
      const response = await chat(userKeys, { model: "openrouter/anthropic/claude-sonnet-4" });
      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers.get("x-byok-route"), "openrouter/anthropic/claude-sonnet-4; source=byok");
      const sent = env.fakes.openrouter.requests[before]?.body as Record<string, unknown>;
      assert.equal(sent.model, "anthropic/claude-sonnet-4");
    });
  });

  describe("routing errors in OpenAI's envelope", () => {
    test("403 byok_required for a BYOK-only feature without the user's key", async () => {
      const before = env.fakes.openai.requests.length;
      const response = await chat(noKeys, { model: "premium" });
      assertOpenAiEnvelope(response, 403, "byok_required");
      assert.equal(errorOf(response).param, "model");
      assert.equal(env.fakes.openai.requests.length, before, "no upstream call");
    });

    test("403 byok_required for a direct call without the user's key", async () => {
      const response = await chat(noKeys, { model: "openai/gpt-4o-mini" });
      assertOpenAiEnvelope(response, 403, "byok_required");
    });

    test("400 no_route when no route can serve the request", async () => {
      const response = await chat(userKeys, { model: "tool_agent" });
      assertOpenAiEnvelope(response, 400, "no_route");
      assert.equal(errorOf(response).param, "model");
    });

    test("400 no_route for a request using tools on a route declared without them", async () => {
      const tools = [{ type: "function", function: { name: "f", parameters: { type: "object" } } }];
      const response = await call(env.gateway, "POST", "/v1/chat/completions", {
        token: userKeys.token,
        headers: userKeys.headers,
        body: { model: "tool_agent", messages: MESSAGES, tools },
      });
      assertOpenAiEnvelope(response, 400, "no_route");
    });

    for (const model of ["no_such_feature", "unknown/x"]) {
      test(`404 model_not_found for ${JSON.stringify(model)}`, async () => {
        const response = await chat(userKeys, { model });
        assertOpenAiEnvelope(response, 404, "model_not_found");
        assert.equal(errorOf(response).param, "model");
      });
    }

    for (const model of [42, "", undefined]) {
      test(`400 invalid_request for a model of ${JSON.stringify(model) ?? "undefined"}`, async () => {
        const response = await chat(userKeys, { model });
        assertOpenAiEnvelope(response, 400, "invalid_request");
        assert.equal(errorOf(response).param, "model");
        assert.match(errorOf(response).message, /`model` is required/);
      });
    }
  });

  describe("upstream failures", () => {
    test("a BYOK key rejected upstream is reported as 401 upstream_rejected, never replaced by the operator's", async () => {
      const before = env.fakes.openai.requests.length;
      env.fakes.openai.failNext(401, {
        message:
          "Incorrect API key provided: {{key}}. You can find your API key at https://platform.openai.com.",
        code: "invalid_api_key",
      });
      const response = await chat(userKeys, { model: "summary" });
      assertOpenAiEnvelope(response, 401, "upstream_rejected");
      const error = errorOf(response);
      assert.equal(error.provider, "openai");
      assert.match(error.message, /openai/i);
      assert.match(error.message, /Incorrect API key provided/);
      assert.equal(error.code, "invalid_api_key");
      assert.ok(!response.text.includes(USER_KEYS.openai), response.text);
      assert.ok(!response.text.includes("routing-1111"), response.text);
      assert.equal(response.headers.get("x-byok-route"), "openai/gpt-4.1-mini; source=byok");
      assert.equal(env.fakes.openai.requests.length - before, 1, "exactly one upstream request");
      assert.equal(bearerOf(env.fakes.openai, before), `Bearer ${USER_KEYS.openai}`);
    });

    test("upstream 500 → 502 upstream_error", async () => {
      const before = env.fakes.openai.requests.length;
      env.fakes.openai.failNext(500, { message: "The server had an error while processing your request." });
      const response = await chat(userKeys, { model: "summary" });
      assertOpenAiEnvelope(response, 502, "upstream_error");
      assert.equal(errorOf(response).provider, "openai");
      assert.equal(env.fakes.openai.requests.length - before, 1, "not retried");
    });

    test("upstream 429 keeps its status", async () => {
      env.fakes.openai.failNext(429, {
        message: "Rate limit reached for requests.",
        code: "rate_limit_exceeded",
      });
      const response = await chat(userKeys, { model: "summary" });
      assertOpenAiEnvelope(response, 429, "upstream_rejected");
      assert.equal(errorOf(response).provider, "openai");
      assert.match(errorOf(response).message, /Rate limit reached/);
    });

    test("the operator's key rejected upstream is a 502 (the user's session is not at fault)", async () => {
      for (const status of [401, 403]) {
        env.fakes.openai.failNext(status, { message: "Project {{key}} does not have access." });
        const response = await chat(noKeys, { model: "summary" });
        assertOpenAiEnvelope(response, 502, "upstream_error");
        assert.equal(response.headers.get("www-authenticate"), null);
        assert.ok(!response.text.includes(OPERATOR_KEYS.openai), response.text);
        assert.equal(response.headers.get("x-byok-route"), "openai/gpt-4.1-mini; source=operator");
      }
    });

    test("the user's key rejected upstream is not a gateway authentication failure", async () => {
      env.fakes.openai.failNext(401, { message: "Incorrect API key provided." });
      const response = await chat(userKeys, { model: "summary" });
      assertOpenAiEnvelope(response, 401, "upstream_rejected");
      assert.equal(
        response.headers.get("www-authenticate"),
        null,
        "no WWW-Authenticate for a provider's 401",
      );
    });

    test("an upstream 429 passes the provider's Retry-After on", async () => {
      env.fakes.openai.respondNext((_request, response) => {
        response
          .writeHead(429, { "content-type": "application/json", "retry-after": "7" })
          .end(JSON.stringify({ error: { message: "slow down", type: "rate_limit", code: null } }));
      });
      const response = await chat(userKeys, { model: "summary" });
      assertOpenAiEnvelope(response, 429, "upstream_rejected");
      assert.equal(response.headers.get("retry-after"), "7");
    });

    test("the user's custom endpoint on a closed port → 502 upstream_error (not an egress refusal)", async () => {
      const port = await closedPort();
      const user = await env.user(
        { custom: USER_KEYS.custom },
        { baseUrl: `http://127.0.0.1:${port}/v1`, model: "m" },
      );
      const response = await chat(user, { model: "cache_custom" });
      assertOpenAiEnvelope(response, 502, "upstream_error");
      assert.equal(errorOf(response).provider, "custom");
      assert.ok(!response.text.includes(String(port)), "no address in the error");
    });
  });

  describe("route params", () => {
    test("params are defaults: applied when the client did not set them", async () => {
      const before = env.fakes.openai.requests.length;
      const response = await chat(userKeys, { model: "summary" });
      assert.equal(response.status, 200, response.text);
      const sent = env.fakes.openai.requests[before]?.body as Record<string, unknown>;
      assert.equal(sent.model, "gpt-4.1-mini");
      assert.equal(sent.temperature, 0.2);
      assert.equal(sent.max_tokens, 64);
    });

    test("a client value wins over the route's param", async () => {
      const before = env.fakes.openai.requests.length;
      const response = await chat(userKeys, { model: "summary", temperature: 0.9 });
      assert.equal(response.status, 200, response.text);
      const sent = env.fakes.openai.requests[before]?.body as Record<string, unknown>;
      assert.equal(sent.temperature, 0.9);
      assert.equal(sent.max_tokens, 64);
    });
  });

  describe("prompt_cache_key", () => {
    const sentTo = async (
      fake: FakeProvider,
      user: { token: string; headers: Record<string, string> },
      body: Record<string, unknown>,
    ): Promise<Record<string, unknown>> => {
      const before = fake.requests.length;
      const response = await chat(user, body);
      assert.equal(response.status, 200, response.text);
      assert.equal(fake.requests.length - before, 1);
      return fake.requests[before]?.body as Record<string, unknown>;
    };

    test("forwarded to an OpenAI model that supports it (gpt-4.1)", async () => {
      const sent = await sentTo(env.fakes.openai, userKeys, {
        model: "cache_openai",
        prompt_cache_key: "client-key",
      });
      assert.equal(sent.prompt_cache_key, "client-key");
    });

    test("stripped for an old OpenAI model (gpt-3.5-turbo)", async () => {
      const sent = await sentTo(env.fakes.openai, userKeys, {
        model: "cache_old",
        prompt_cache_key: "client-key",
      });
      assert.equal(sent.model, "gpt-3.5-turbo");
      assert.ok(!("prompt_cache_key" in sent));
    });

    test("stripped for gemini", async () => {
      const sent = await sentTo(env.fakes.gemini, userKeys, {
        model: "cache_gemini",
        prompt_cache_key: "client-key",
      });
      assert.ok(!("prompt_cache_key" in sent));
      assert.ok("messages" in sent);
    });

    test("stripped for openrouter, even for an OpenAI model behind it", async () => {
      const sent = await sentTo(env.fakes.openrouter, userKeys, {
        model: "cache_openrouter",
        prompt_cache_key: "client-key",
      });
      assert.equal(sent.model, "openai/gpt-4.1");
      assert.ok(!("prompt_cache_key" in sent));
    });

    test("stripped for the custom endpoint", async () => {
      const user = await env.user(
        { custom: USER_KEYS.custom },
        { baseUrl: env.fakes.custom.baseUrl, model: "my-model" },
      );
      const sent = await sentTo(env.fakes.custom, user, {
        model: "cache_custom",
        prompt_cache_key: "client-key",
      });
      assert.equal(sent.model, "my-model");
      assert.ok(!("prompt_cache_key" in sent));
    });

    test("derived per user and feature when the feature says derive and the client sent none", async () => {
      const sent = await sentTo(env.fakes.openai, userKeys, { model: "cache_derive" });
      assert.equal(typeof sent.prompt_cache_key, "string");
      assert.match(sent.prompt_cache_key as string, /^byok-[A-Za-z0-9_-]+$/);
      const again = await sentTo(env.fakes.openai, userKeys, { model: "cache_derive" });
      assert.equal(again.prompt_cache_key, sent.prompt_cache_key, "stable per user and feature");
      const other = await sentTo(env.fakes.openai, noKeys, { model: "cache_derive" });
      assert.match(other.prompt_cache_key as string, /^byok-/);
      assert.notEqual(other.prompt_cache_key, sent.prompt_cache_key, "users never share a cache key");
    });

    test("on the operator's key a client's key is bound to its user; on the user's own key it arrives unchanged", async () => {
      const other = await env.user();
      const mine = await sentTo(env.fakes.openai, noKeys, {
        model: "cache_openai",
        prompt_cache_key: "shared",
      });
      const theirs = await sentTo(env.fakes.openai, other, {
        model: "cache_openai",
        prompt_cache_key: "shared",
      });
      assert.match(mine.prompt_cache_key as string, /^byok-[A-Za-z0-9_-]{32}$/);
      assert.match(theirs.prompt_cache_key as string, /^byok-[A-Za-z0-9_-]{32}$/);
      assert.notEqual(mine.prompt_cache_key, theirs.prompt_cache_key, "users never share a partition");
      const again = await sentTo(env.fakes.openai, noKeys, {
        model: "cache_openai",
        prompt_cache_key: "shared",
      });
      assert.equal(again.prompt_cache_key, mine.prompt_cache_key, "stable per user");
      const own = await sentTo(env.fakes.openai, userKeys, {
        model: "cache_openai",
        prompt_cache_key: "shared",
      });
      assert.equal(own.prompt_cache_key, "shared");
    });

    test("derive keeps the client's own key on the user's own key", async () => {
      const sent = await sentTo(env.fakes.openai, userKeys, {
        model: "cache_derive",
        prompt_cache_key: "mine",
      });
      assert.equal(sent.prompt_cache_key, "mine");
    });

    test("forward does not derive one", async () => {
      const sent = await sentTo(env.fakes.openai, userKeys, { model: "cache_openai" });
      assert.ok(!("prompt_cache_key" in sent));
    });

    test("stripped when the feature says off", async () => {
      const sent = await sentTo(env.fakes.openai, userKeys, {
        model: "cache_off",
        prompt_cache_key: "client-key",
      });
      assert.equal(sent.model, "gpt-4.1");
      assert.ok(!("prompt_cache_key" in sent));
    });
  });
});

describe("providers that cannot be reached in time", () => {
  let gateway: TestGateway;
  let slow: FakeProvider;
  let token: string;

  before(async () => {
    slow = await startFakeOpenAiProvider({ prefix: "/v1beta/openai" });
    const port = await closedPort();
    gateway = await startGateway({
      config: {
        providers: {
          openai: { baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: OPERATOR_KEYS.openai },
          gemini: { baseUrl: slow.baseUrl, apiKey: OPERATOR_KEYS.gemini, timeouts: { headersMs: 200 } },
        },
        features: {
          refused: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }] },
          slow: { routes: [{ provider: "gemini", model: "gemini-2.5-flash" }] },
        },
      },
    });
    token = await addUser(gateway, "unreachable-user");
  });
  after(async () => {
    await gateway.close();
    await slow.close();
  });

  test("a configured provider on a closed port → 502 upstream_error", async () => {
    const response = await call(gateway, "POST", "/v1/chat/completions", {
      token,
      body: { model: "refused", messages: MESSAGES },
    });
    assertOpenAiEnvelope(response, 502, "upstream_error");
    assert.equal(errorOf(response).provider, "openai");
    // A refused connection never reached the server: it is retried once on the same route
    // (routing.retry.maxRetries defaults to 1), refused again, and that second attempt is the answer.
    assert.equal(
      response.headers.get("x-byok-route"),
      "openai/gpt-4.1-mini; source=operator; failed=openai/gpt-4.1-mini@operator:connect_failed",
    );
  });

  test("a provider that never answers → 504 upstream_timeout after its headersMs, upstream closed", async () => {
    slow.respondNext(() => {
      // Never answers: the gateway's header time limit must end the call.
    });
    const upstreamClosed = slow.nextAbortedResponse();
    const started = performance.now();
    const response = await call(gateway, "POST", "/v1/chat/completions", {
      token,
      body: { model: "slow", messages: MESSAGES },
    });
    const elapsed = performance.now() - started;
    assertOpenAiEnvelope(response, 504, "upstream_timeout");
    assert.equal(errorOf(response).provider, "gemini");
    assert.ok(elapsed >= 150, `answered after ${elapsed} ms, before the time limit`);
    assert.ok(elapsed < 5000, `answered after ${elapsed} ms`);
    const closed = await upstreamClosed;
    assert.equal(closed.request.path, "/v1beta/openai/chat/completions");
  });
});
