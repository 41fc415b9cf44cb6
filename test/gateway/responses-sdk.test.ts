/**
 * @module test/gateway/responses-sdk.test
 * `POST /v1/responses` through the official `openai` SDK on Chat Completions upstreams (the custom endpoint,
 * OpenRouter, Gemini's compatible API; loopback fakes): plain, function tools over two turns, `text.format`,
 * `responses.stream()`; every Response and event validated against OpenAI's published schemas; the
 * stateless refusals before anything goes upstream; metering on the operator's key; keys redacted.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import type { ResponseInputItem } from "openai/resources/responses/responses";
import type { GatewayConfigInput } from "../../src/config/index.ts";
import { call } from "../support/gateway-client.ts";
import { type GatewayUser, type ModelGateway, startModelGateway } from "../support/model-gateway.ts";
import {
  assertMatchesSchema,
  assertValidErrorResponse,
  assertValidResponse,
  assertValidResponsesStream,
} from "../support/openai-schema.ts";
import {
  bodyOf,
  CHAT_ROUTES,
  expectedKey,
  expectedRoute,
  routeUser,
  SDK_FEATURES,
  USER_KEYS,
  withUpstreamRequest,
} from "../support/provider-routes.ts";
import { ADMIN_TOKEN } from "../support/start-gateway.ts";

/** Every chat route but `openai` (which speaks the Responses API and is passed through, not translated). */
const TRANSLATED = CHAT_ROUTES.filter((route) => route.provider !== "openai");

const tools: OpenAI.Responses.FunctionTool[] = ["get_weather", "get_time"].map((name) => ({
  type: "function",
  name,
  description: null,
  parameters: {
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"],
    additionalProperties: false,
  },
  strict: true,
}));

const FEATURES: NonNullable<GatewayConfigInput["features"]> = {
  ...SDK_FEATURES,
  metered: { routes: [{ provider: "openrouter", model: "openai/gpt-4.1-mini" }], operatorFallback: true },
};
const PLAN_REQUESTS = 2;
const plans: GatewayConfigInput["plans"] = {
  small: { limits: [{ meter: "requests", period: "day", limit: PLAN_REQUESTS, features: ["metered"] }] },
};

/** Asserts what the SDK parsed is a valid Response on the wire (`output_text` is the SDK's own addition). */
function assertWireResponse(parsed: unknown): void {
  const raw = JSON.parse(JSON.stringify(parsed)) as Record<string, unknown>;
  delete raw.output_text;
  assertValidResponse(raw);
}

/** Collects a `responses.stream()`'s events as sent and checks each against the schema and its number. */
function collectEvents(stream: {
  on(event: "event", listener: (event: unknown) => void): unknown;
}): unknown[] {
  const events: unknown[] = [];
  stream.on("event", (event) => {
    const { snapshot: _snapshot, ...wire } = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
    assertMatchesSchema("ResponseStreamEvent", wire);
    assert.equal(wire.sequence_number, events.length);
    events.push(wire);
  });
  return events;
}

/** Asserts an SDK error is the gateway's 400 with `param`, and that nothing reached `fake`. */
async function assertRefused(
  fake: { requests: unknown[] },
  action: () => Promise<unknown>,
  param: string,
): Promise<void> {
  const before = fake.requests.length;
  await assert.rejects(action, (error: unknown) => {
    assert.ok(error instanceof OpenAI.BadRequestError, String(error));
    assert.equal(error.status, 400);
    assert.equal(error.type, "invalid_request");
    assert.equal(error.param, param);
    assertValidErrorResponse({ error: error.error });
    return true;
  });
  assert.equal(fake.requests.length, before, "nothing was sent upstream");
}

describe("the Responses API through the openai SDK, translated to Chat Completions", () => {
  let env: ModelGateway;
  before(async () => {
    env = await startModelGateway({ features: FEATURES, config: { plans } });
  });
  after(() => env.close());

  for (const { provider, feature, model, sources } of TRANSLATED) {
    for (const source of sources) {
      describe(`${provider}, ${source}-served (model "${feature}")`, () => {
        let user: GatewayUser;
        before(async () => {
          user = await routeUser(env, provider, source);
        });

        test("responses.create: a Response that validates, the chat request upstream", async () => {
          const { result, upstream } = await withUpstreamRequest(env.fakes[provider], () =>
            user.openai.responses
              .create({ model: feature, instructions: "Be brief.", input: "Say hello", store: false })
              .withResponse(),
          );
          assert.equal(result.response.headers.get("x-byok-route"), expectedRoute(provider, model, source));
          assertWireResponse(result.data);
          assert.equal(result.data.object, "response");
          assert.match(result.data.id, /^resp_/);
          assert.equal(result.data.status, "completed");
          assert.equal(result.data.model, feature);
          assert.equal(result.data.output_text, `Hello from ${model}`);
          assert.ok((result.data.usage?.total_tokens ?? 0) > 0);
          assert.match(upstream.path, /\/chat\/completions$/);
          assert.equal(upstream.headers.authorization, `Bearer ${expectedKey(provider, source)}`);
          const body = bodyOf(upstream);
          assert.equal(body.model, model);
          assert.deepEqual(body.messages, [
            { role: "system", content: "Be brief." },
            { role: "user", content: "Say hello" },
          ]);
        });

        test("responses.stream() + finalResponse(): every event validates, in order", async () => {
          const { result, upstream } = await withUpstreamRequest(env.fakes[provider], async () => {
            const stream = user.openai.responses.stream({ model: feature, input: "Say hello" });
            const events = collectEvents(stream);
            const final = await stream.finalResponse();
            return { final, events };
          });
          assertWireResponse(result.final);
          const types = result.events.map((event) => (event as { type: string }).type);
          assert.equal(types[0], "response.created");
          assert.equal(types.at(-1), "response.completed");
          assert.ok(types.filter((type) => type === "response.output_text.delta").length >= 3);
          assert.equal(result.final.output_text, `Hello from ${model}`);
          const body = bodyOf(upstream);
          assert.equal(body.stream, true);
          if (provider === "custom") {
            // A custom endpoint is not asked for stream usage (not every host accepts stream_options).
            assert.equal(body.stream_options, undefined);
            assert.equal(result.final.usage, undefined);
          } else {
            assert.deepEqual(body.stream_options, { include_usage: true });
            assert.ok((result.final.usage?.input_tokens ?? 0) > 0, "usage asked for and reported");
          }
        });
      });
    }
  }

  describe("on the user's custom endpoint", () => {
    let user: GatewayUser;
    const fake = () => env.fakes.custom;
    before(async () => {
      user = await routeUser(env, "custom", "byok");
    });

    test("function tools, then a second turn with function_call_output items", async () => {
      const first = await user.openai.responses.create({ model: "agent", input: "Weather?", tools });
      assertWireResponse(first);
      const calls = first.output.filter((item) => item.type === "function_call");
      assert.deepEqual(
        calls.map((item) => item.name),
        ["get_weather", "get_time"],
      );
      for (const item of calls) {
        assert.match(item.id ?? "", /^fc_/);
        assert.match(item.call_id, /^call_/);
        assert.deepEqual(Object.keys(JSON.parse(item.arguments)), ["city"]);
      }
      const upstreamTools = bodyOf(fake().requests.at(-1)!).tools as Record<string, unknown>[];
      assert.deepEqual(upstreamTools[0], {
        type: "function",
        function: { name: "get_weather", parameters: tools[0]!.parameters, strict: true },
      });

      const input: ResponseInputItem[] = [
        { role: "user", content: "Weather?" },
        ...(first.output as ResponseInputItem[]),
        ...calls.map((item) => ({
          type: "function_call_output" as const,
          call_id: item.call_id,
          output: "sunny",
        })),
      ];
      const { result: second, upstream } = await withUpstreamRequest(fake(), () =>
        user.openai.responses.create({ model: "agent", input, tools }),
      );
      assertWireResponse(second);
      assert.equal(second.output_text, "Hello from my-model");
      const messages = bodyOf(upstream).messages as Record<string, unknown>[];
      assert.deepEqual(
        messages.map((message) => message.role),
        ["user", "assistant", "tool", "tool"],
      );
      assert.deepEqual(
        (messages[1]!.tool_calls as Record<string, unknown>[]).map((toolCall) => toolCall.id),
        calls.map((item) => item.call_id),
      );
      assert.equal(messages[2]?.tool_call_id, calls[0]?.call_id);
    });

    test("streamed function calls: arguments whole in finalResponse()", async () => {
      const stream = user.openai.responses.stream({ model: "agent", input: "Weather?", tools });
      const events = collectEvents(stream);
      const argumentDeltas: string[] = [];
      stream.on("response.function_call_arguments.delta", (event) => argumentDeltas.push(event.delta));
      const final = await stream.finalResponse();
      assertWireResponse(final);
      assert.equal((events.at(-1) as { type: string }).type, "response.completed");
      const calls = final.output.filter((item) => item.type === "function_call");
      assert.equal(calls.length, 2);
      assert.ok(argumentDeltas.length > 4, "arguments arrived in pieces");
      for (const item of calls) assert.equal(item.status, "completed");
      assert.equal(JSON.parse(calls[0]!.arguments).city, "Paris");
    });

    test("text.format json_schema becomes response_format; the JSON answer comes back as output_text", async () => {
      fake().respondNext((_request, response) => {
        const body = JSON.stringify({
          id: "chatcmpl-json",
          object: "chat.completion",
          created: 1,
          model: "my-model",
          choices: [
            { index: 0, finish_reason: "stop", message: { role: "assistant", content: '{"city":"Paris"}' } },
          ],
          usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 },
        });
        response.writeHead(200, { "content-type": "application/json" }).end(body);
      });
      const schema = {
        type: "object",
        properties: { city: { type: "string" } },
        required: ["city"],
        additionalProperties: false,
      };
      const { result, upstream } = await withUpstreamRequest(fake(), () =>
        user.openai.responses.create({
          model: "agent",
          input: "Where?",
          text: { format: { type: "json_schema", name: "place", schema, strict: true } },
        }),
      );
      assertWireResponse(result);
      assert.deepEqual(JSON.parse(result.output_text), { city: "Paris" });
      assert.deepEqual(result.text?.format, { type: "json_schema", name: "place", schema, strict: true });
      assert.deepEqual(bodyOf(upstream).response_format, {
        type: "json_schema",
        json_schema: { name: "place", schema, strict: true },
      });
    });

    test("stateless refusals and bad shapes: 400 with param, nothing sent upstream", async () => {
      const create = (body: Record<string, unknown>) => () =>
        user.openai.responses.create({ model: "agent", input: "hi", ...body } as never);
      await assertRefused(fake(), create({ previous_response_id: "resp_123" }), "previous_response_id");
      await assertRefused(fake(), create({ store: true }), "store");
      await assertRefused(fake(), create({ tools: [{ type: "web_search" }] }), "tools[0].type");
      await assertRefused(fake(), create({ input: 5 }), "input");
    });

    test("a key the upstream echoes in the stream is redacted, in text and in its error", async () => {
      fake().respondNext((request, response) => {
        const key = (request.headers.authorization ?? "").replace(/^Bearer /, "");
        const chunk = (delta: Record<string, unknown>) =>
          `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "my-model", choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
        response.writeHead(200, { "content-type": "text/event-stream" });
        response.write(chunk({ role: "assistant", content: `your key is ${key}` }));
        response.end(
          `data: ${JSON.stringify({ error: { message: `bad key ${key}`, type: "server_error" } })}\n\n`,
        );
      });
      const response = await fetch(`${env.gateway.url}/v1/responses`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${user.token}`,
          "content-type": "application/json",
          ...user.headers,
        },
        body: JSON.stringify({ model: "agent", input: "leak", stream: true }),
      });
      assert.equal(response.status, 200);
      const text = await response.text();
      assert.equal(text.includes(USER_KEYS.custom), false, "the raw key never reaches the client");
      const events = assertValidResponsesStream(text);
      const last = events.at(-1)!;
      assert.equal(last.type, "error");
      assert.match(String(last.message), /bad key/);
    });

    test("an upstream 4xx keeps its status, the provider's message with the key redacted", async () => {
      fake().failNext(429, {
        message: "slow down, {{key}}",
        type: "rate_limit_error",
        code: "rate_limit_exceeded",
      });
      await assert.rejects(
        user.openai.responses.create({ model: "agent", input: "hi" }),
        (error: unknown) => {
          assert.ok(error instanceof OpenAI.RateLimitError, String(error));
          assert.equal(error.type, "upstream_rejected");
          assert.equal(error.code, "rate_limit_exceeded");
          assert.match(error.message, /slow down/);
          assert.equal(error.message.includes(USER_KEYS.custom), false);
          return true;
        },
      );
    });

    test("an answer that is no chat completion is a 502", async () => {
      fake().respondNext((_request, response) => {
        response.writeHead(200, { "content-type": "application/json" }).end('{"object": "chat.completion"}');
      });
      await assert.rejects(
        user.openai.responses.create({ model: "agent", input: "hi" }),
        (error: unknown) => {
          assert.ok(error instanceof OpenAI.APIError);
          assert.equal(error.status, 502);
          assert.equal(error.type, "upstream_error");
          return true;
        },
      );
    });

    test("a failure mid-stream rejects finalResponse()", async () => {
      fake().respondNext((_request, response) => {
        response.writeHead(200, { "content-type": "text/event-stream" });
        response.end(
          `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "my-model", choices: [{ index: 0, delta: { content: "Half" }, finish_reason: null }] })}\n\n`,
        );
      });
      const stream = user.openai.responses.stream({ model: "agent", input: "hi" });
      await assert.rejects(stream.finalResponse(), (error: unknown) => {
        assert.equal((error as { code?: unknown }).code, "stream_truncated");
        return true;
      });
    });
  });

  test("operator-served calls are metered and limited like chat", async () => {
    const user = await env.user();
    const setPlan = await call(env.gateway, "PUT", `/admin/users/${user.id}/plan`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: { plan: "small" },
    });
    assert.equal(setPlan.status, 200, setPlan.text);
    const plain = await user.openai.responses.create({ model: "metered", input: "one two three" });
    const streamed = await user.openai.responses
      .stream({ model: "metered", input: "four five" })
      .finalResponse();
    const fake = env.fakes.openrouter;
    await assertRefusedQuota(fake, () => user.openai.responses.create({ model: "metered", input: "again" }));
    const usage = await call(env.gateway, "GET", "/v1/usage", { token: user.token });
    const operator = (usage.body as { usage: { operator: Record<string, number> } }).usage.operator;
    assert.equal(operator.requests, PLAN_REQUESTS);
    assert.equal(
      operator.input_tokens,
      (plain.usage?.input_tokens ?? 0) + (streamed.usage?.input_tokens ?? 0),
    );
    assert.equal(
      operator.output_tokens,
      (plain.usage?.output_tokens ?? 0) + (streamed.usage?.output_tokens ?? 0),
    );
    assert.equal(operator.estimated_requests, 0);
  });
});

async function assertRefusedQuota(
  fake: { requests: unknown[] },
  action: () => Promise<unknown>,
): Promise<void> {
  const before = fake.requests.length;
  await assert.rejects(action, (error: unknown) => {
    assert.ok(error instanceof OpenAI.APIError);
    assert.equal(error.status, 402);
    assert.equal(error.type, "quota_exceeded");
    return true;
  });
  assert.equal(fake.requests.length, before, "nothing was sent upstream");
}
