/**
 * @module test/library/ai-sdk-model
 * `byok.model(feature)` with the real AI SDK (`generateText`, `streamText`; refusals as `APICallError`)
 * against loopback fakes of each provider kind: an OpenAI-compatible route, an Anthropic route (translated),
 * the user's custom endpoint (through the egress guard); inside a request (a Node `http` server with the
 * Connect-style middleware, keys from X-BYOK-* headers) and outside one (an explicit caller).
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { APICallError } from "@ai-sdk/provider";
import { generateText, streamText } from "ai";
import type { GatewayConfigInput } from "../../src/config/index.ts";
import { createNodeMiddleware, currentContext } from "../../src/library/index.ts";
import {
  ANTHROPIC_FEATURES,
  ANTHROPIC_OPERATOR_KEY,
  ANTHROPIC_USER_KEY,
  type AnthropicGateway,
  CLAUDE_MODEL,
  CUSTOM_MODEL,
  CUSTOM_USER_KEY,
  OPENAI_USER_KEY,
  startAnthropicGateway,
  withRequests,
} from "../support/anthropic-gateway.ts";
import { OPERATOR_KEYS } from "../support/model-gateway.ts";
import { assertMatchesSchema } from "../support/openai-schema.ts";

const FEATURES: NonNullable<GatewayConfigInput["features"]> = {
  ...ANTHROPIC_FEATURES,
  gpt_agent: {
    needs: ["tools", "streaming", "json_schema"],
    routes: [{ provider: "openai", model: "gpt-4.1-mini" }],
    operatorFallback: true,
  },
};

// The warnings these tests provoke on purpose are asserted, not printed.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

let env: AnthropicGateway;
before(async () => {
  env = await startAnthropicGateway({
    features: FEATURES,
    plans: {
      one_call: { limits: [{ meter: "requests", period: "day", limit: 1 }] },
      one_per_minute: { rateLimits: { requestsPerMinute: 1 } },
    },
  });
});
after(() => env.close());

const byok = () => env.gateway.byok;
const bearer = (request: { headers: Readonly<Record<string, string>> }) => request.headers.authorization;

/** An app's server: the library's middleware, then a handler that calls the model in the request's context. */
async function startApp(
  handler: (url: URL) => Promise<unknown>,
): Promise<{ url: string; close: () => Promise<void> }> {
  const middleware = createNodeMiddleware(byok());
  const server: Server = createServer((request, response) => {
    middleware(request, response, (error) => {
      if (error) {
        response.statusCode = 500;
        response.end();
        return;
      }
      handler(new URL(request.url ?? "/", "http://app.invalid")).then(
        (body) => {
          response.setHeader("content-type", "application/json");
          response.end(JSON.stringify(body));
        },
        (failure: unknown) => {
          response.statusCode = APICallError.isInstance(failure) ? (failure.statusCode ?? 500) : 500;
          response.end(
            JSON.stringify({ error: failure instanceof Error ? failure.message : String(failure) }),
          );
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe("inside a request", () => {
  test("the middleware binds the model to the request's keys: BYOK-served with them, operator-served without", async () => {
    const user = await env.user({ openai: OPENAI_USER_KEY });
    // One model for the whole app: it reads the current request's context at each call.
    const model = byok().model("gpt");
    const app = await startApp(async () => {
      const result = await generateText({ model, prompt: "Summarize: the library works.", maxRetries: 0 });
      return {
        text: result.text,
        route: result.response.headers?.["x-byok-route"],
        metadata: result.providerMetadata,
        user: currentContext()?.principal.userId,
      };
    });
    try {
      const { result: withKeys, requests } = await withRequests(env.fakes.openai, async () => {
        const response = await fetch(app.url, {
          headers: { authorization: `Bearer ${user.token}`, ...user.headers },
        });
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("x-byok-status"), "active; accepted=openai");
        return (await response.json()) as Record<string, unknown>;
      });
      assert.equal(withKeys.text, "Hello from gpt-4.1-mini");
      assert.equal(withKeys.route, "openai/gpt-4.1-mini; source=byok");
      assert.deepEqual(withKeys.metadata, { byok: { route: "openai/gpt-4.1-mini; source=byok" } });
      assert.equal(withKeys.user, user.id);
      assert.equal(requests.length, 1);
      assert.equal(bearer(requests[0]!), `Bearer ${OPENAI_USER_KEY}`);
      // The body the model built is a valid Chat Completions request (as sent on by the gateway).
      assertMatchesSchema("CreateChatCompletionRequest", requests[0]!.body);

      const { result: withoutKeys, requests: operatorRequests } = await withRequests(
        env.fakes.openai,
        async () => {
          const response = await fetch(app.url, { headers: { authorization: `Bearer ${user.token}` } });
          assert.equal(response.status, 200);
          return (await response.json()) as Record<string, unknown>;
        },
      );
      assert.equal(withoutKeys.route, "openai/gpt-4.1-mini; source=operator");
      assert.equal(bearer(operatorRequests[0]!), `Bearer ${OPERATOR_KEYS.openai}`);

      const report = await byok().usage.report(user.id, null);
      assert.equal(report.usage.byok.requests, 1);
      assert.equal(report.usage.operator.requests, 1);
      assert.ok(report.usage.byok.input_tokens > 0 && report.usage.byok.output_tokens > 0);
    } finally {
      await app.close();
    }
  });

  test("an Anthropic route is translated both ways, streamed and not, on the user's Anthropic key", async () => {
    const user = await env.user({ anthropic: ANTHROPIC_USER_KEY });
    const app = await startApp(async (url) => {
      const model = byok().model("claude");
      if (url.pathname === "/stream") {
        const result = streamText({ model, prompt: "Say hello", maxRetries: 0 });
        const deltas: string[] = [];
        for await (const delta of result.textStream) deltas.push(delta);
        return {
          deltas,
          finish: await result.finishReason,
          usage: await result.usage,
          route: (await result.response).headers?.["x-byok-route"],
          metadata: await result.providerMetadata,
        };
      }
      const result = await generateText({ model, system: "Be brief.", prompt: "Say hello", maxRetries: 0 });
      return { text: result.text, finish: result.finishReason, usage: result.usage };
    });
    try {
      const headers = { authorization: `Bearer ${user.token}`, ...user.headers };
      const { result: whole, requests } = await withRequests(env.anthropic, async () =>
        (await fetch(app.url, { headers })).json(),
      );
      assert.equal((whole as { text: string }).text, `Hello from ${CLAUDE_MODEL}`);
      assert.equal((whole as { finish: string }).finish, "stop");
      assert.equal(requests[0]!.headers["x-api-key"], ANTHROPIC_USER_KEY);
      assert.equal((requests[0]!.body as { system?: unknown }).system !== undefined, true);

      const streamed = (await (await fetch(`${app.url}/stream`, { headers })).json()) as {
        deltas: string[];
        finish: string;
        usage: { inputTokens: number; outputTokens: number };
        route: string;
        metadata: unknown;
      };
      assert.ok(streamed.deltas.length > 1, "the text arrived in several deltas");
      assert.equal(streamed.deltas.join(""), `Hello from ${CLAUDE_MODEL}`);
      assert.equal(streamed.finish, "stop");
      assert.ok(
        streamed.usage.inputTokens > 0 && streamed.usage.outputTokens > 0,
        "usage came with the stream",
      );
      assert.equal(streamed.route, `anthropic/${CLAUDE_MODEL}; source=byok`);
      assert.deepEqual(streamed.metadata, { byok: { route: `anthropic/${CLAUDE_MODEL}; source=byok` } });
    } finally {
      await app.close();
    }
  });

  test("a model called outside any request, without a caller, says so", async () => {
    await assert.rejects(
      generateText({ model: byok().model("gpt"), prompt: "hi", maxRetries: 0 }),
      /no request context/,
    );
  });
});

describe("outside a request (an explicit caller)", () => {
  test("a job's call is operator-served on the user's plan and recorded as such", async () => {
    const user = await env.user();
    const model = byok().model("claude", { userId: user.id, plan: null });
    const { result, requests } = await withRequests(env.anthropic, () =>
      generateText({ model, prompt: "hello", maxRetries: 0 }),
    );
    assert.equal(result.response.headers?.["x-byok-route"], `anthropic/${CLAUDE_MODEL}; source=operator`);
    assert.equal(requests[0]!.headers["x-api-key"], ANTHROPIC_OPERATOR_KEY);
    const report = await byok().usage.report(user.id, null);
    assert.equal(report.usage.operator.requests, 1);
    assert.equal(report.usage.byok.requests, 0);
  });

  test("the user's custom endpoint serves through the egress guard with the validated context", async () => {
    const custom = { baseUrl: env.fakes.custom.baseUrl, model: CUSTOM_MODEL };
    const user = await env.user({ custom: CUSTOM_USER_KEY }, custom);
    const context = await byok().handle({ authorization: `Bearer ${user.token}`, ...user.headers });
    const model = byok().model("custom_only", { context });
    const { result, requests } = await withRequests(env.fakes.custom, () =>
      generateText({ model, prompt: "hello", maxRetries: 0 }),
    );
    assert.equal(result.text, `Hello from ${CUSTOM_MODEL}`);
    assert.equal(result.response.headers?.["x-byok-route"], `custom/${CUSTOM_MODEL}; source=byok`);
    assert.equal(bearer(requests[0]!), `Bearer ${CUSTOM_USER_KEY}`);
  });

  test("a refusal is an APICallError: quota 402, byok_required 403, never retried", async () => {
    const user = await env.user();
    const model = byok().model("gpt", { userId: user.id, plan: "one_call" });
    await generateText({ model, prompt: "first", maxRetries: 0 });
    const before = env.fakes.openai.requests.length;
    const quota = await generateText({ model, prompt: "second", maxRetries: 3 }).then(
      () => assert.fail("the second call is over the plan"),
      (error: unknown) => error,
    );
    assert.ok(APICallError.isInstance(quota), "an APICallError");
    assert.equal(quota.statusCode, 402);
    assert.equal(quota.isRetryable, false);
    assert.equal((quota.data as { type: string }).type, "quota_exceeded");
    assert.equal(
      env.fakes.openai.requests.length,
      before,
      "refused before any upstream call, and not retried",
    );

    const required = await generateText({
      model: byok().model("claude_byok", { userId: user.id }),
      prompt: "hi",
      maxRetries: 0,
    }).catch((error: unknown) => error);
    assert.ok(APICallError.isInstance(required));
    assert.equal(required.statusCode, 403);
    assert.equal((required.data as { type: string }).type, "byok_required");
  });

  test("a rate limit is a retryable APICallError 429 with Retry-After", async () => {
    const user = await env.user();
    const model = byok().model("gpt", { userId: user.id, plan: "one_per_minute" });
    await generateText({ model, prompt: "first", maxRetries: 0 });
    const limited = await generateText({ model, prompt: "second", maxRetries: 0 }).catch(
      (error: unknown) => error,
    );
    assert.ok(APICallError.isInstance(limited));
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.isRetryable, true);
    assert.equal((limited.data as { type: string }).type, "rate_limited");
    assert.match(limited.responseHeaders?.["retry-after"] ?? "", /^\d+$/);
  });

  test("an upstream failure is retryable, an upstream 4xx keeps its status, and neither quotes the key", async () => {
    const user = await env.user({ openai: OPENAI_USER_KEY });
    const context = await byok().handle({ authorization: `Bearer ${user.token}`, ...user.headers });
    const model = byok().model("gpt", { context });
    env.fakes.openai.failNext(500, { message: "boom", type: "server_error" });
    const failed = await generateText({ model, prompt: "hi", maxRetries: 0 }).catch(
      (error: unknown) => error,
    );
    assert.ok(APICallError.isInstance(failed));
    assert.equal(failed.statusCode, 502);
    assert.equal(failed.isRetryable, true);

    env.fakes.openai.failNext(401, {
      message: "Incorrect API key provided: {{key}}",
      code: "invalid_api_key",
    });
    const rejected = await generateText({ model, prompt: "hi", maxRetries: 0 }).catch(
      (error: unknown) => error,
    );
    assert.ok(APICallError.isInstance(rejected));
    assert.equal(rejected.statusCode, 401);
    assert.equal(rejected.isRetryable, false);
    const everything = `${rejected.message} ${rejected.responseBody ?? ""} ${JSON.stringify(rejected.data)}`;
    assert.ok(!everything.includes(OPENAI_USER_KEY), "the key is redacted");
  });
});
