/**
 * @module test/gateway/responses-on-anthropic
 * `POST /v1/responses` on Anthropic routes (Responses → chat → Messages and back): the official SDK's
 * `responses.create` and `responses.stream` against the fake Anthropic provider, every body and event
 * validated against the published schemas; a function-calling round trip; stateful fields refused; a
 * provider error mid-stream said once as the Responses `error` event, keys redacted; usage metered.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import OpenAI from "openai";
import type { ResponseInput } from "openai/resources/responses/responses";
import { ANTHROPIC_OPERATOR_KEY, CLAUDE_MODEL, writeAnthropicEvent } from "../support/anthropic-gateway.ts";
import { call, errorOf } from "../support/gateway-client.ts";
import { assertFailedEnd, assertMatchesSchema, assertValidErrorResponse } from "../support/openai-schema.ts";
import {
  ANTHROPIC_USER_KEY,
  METERED_PLAN,
  type ResponsesGateway,
  startResponsesGateway,
} from "../support/responses-gateway.ts";

const WEATHER_TOOL = {
  type: "function" as const,
  name: "get_weather",
  description: "The weather in a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: false,
};

let env: ResponsesGateway;
before(async () => {
  env = await startResponsesGateway();
});
after(async () => {
  await env.close();
});

async function upstreamOf<T>(action: () => Promise<T>) {
  const before = env.anthropic.requests.length;
  const result = await action();
  return { result, requests: env.anthropic.requests.slice(before) };
}

test("responses.create: a Response translated from Anthropic's message, the route's model upstream", async () => {
  const user = await env.user();
  const { result, requests } = await upstreamOf(() =>
    user.openai.responses
      .create({ model: "claude", instructions: "Be brief.", input: "Say hello", max_output_tokens: 50 })
      .withResponse(),
  );
  assertMatchesSchema("Response", result.data);
  assert.equal(result.data.output_text, `Hello from ${CLAUDE_MODEL}`);
  assert.equal(result.data.model, "claude", "the model the client named");
  assert.equal(result.data.status, "completed");
  assert.ok((result.data.usage?.input_tokens ?? 0) > 0);
  assert.equal(result.response.headers.get("x-byok-route"), `anthropic/${CLAUDE_MODEL}; source=operator`);
  assert.equal(requests.length, 1);
  const upstream = requests[0]!;
  assert.equal(upstream.path, "/v1/messages");
  assert.equal(upstream.headers["x-api-key"], ANTHROPIC_OPERATOR_KEY);
  const body = upstream.body as Record<string, unknown>;
  assert.equal(body.model, CLAUDE_MODEL);
  assert.equal(body.max_tokens, 50);
  assert.match(JSON.stringify(body.system), /Be brief\./);
});

test("responses.stream: every event validates, in order, and finalResponse() is the whole answer", async () => {
  const user = await env.user({ anthropic: ANTHROPIC_USER_KEY });
  const stream = user.openai.responses.stream({ model: "claude", input: "Say hello" });
  const seen: Array<{ type: string; sequence_number: number }> = [];
  for await (const event of stream) {
    assertMatchesSchema("ResponseStreamEvent", event);
    seen.push(event);
  }
  const final = await stream.finalResponse();
  assertMatchesSchema("Response", final);
  assert.equal(final.output_text, `Hello from ${CLAUDE_MODEL}`);
  assert.deepEqual(
    seen.map((event) => event.sequence_number),
    seen.map((_, index) => index),
    "sequence numbers count from 0",
  );
  assert.equal(seen[0]?.type, "response.created");
  assert.equal(seen.at(-1)?.type, "response.completed");
  assert.ok((final.usage?.output_tokens ?? 0) > 0, "usage carried into response.completed");
});

for (const streamed of [false, true]) {
  test(`a function-calling round trip (${streamed ? "streamed" : "not streamed"})`, async () => {
    const user = await env.user({ anthropic: ANTHROPIC_USER_KEY });
    const ask = { model: "claude", tools: [WEATHER_TOOL], input: "Weather in Paris?" };
    const first = streamed
      ? await user.openai.responses.stream(ask).finalResponse()
      : await user.openai.responses.create(ask);
    assertMatchesSchema("Response", first);
    const calls = first.output.filter((item) => item.type === "function_call");
    assert.equal(calls.length, 1);
    const toolCall = calls[0]!;
    assert.ok(toolCall.type === "function_call");
    assert.equal(toolCall.name, "get_weather");
    const { result, requests } = await upstreamOf(async () => {
      const input: ResponseInput = [{ role: "user", content: "Weather in Paris?" }];
      for (const item of first.output) if (item.type === "function_call") input.push(item);
      input.push({ type: "function_call_output", call_id: toolCall.call_id, output: '{"sky":"clear"}' });
      const again = { model: "claude", tools: [WEATHER_TOOL], input };
      return streamed
        ? user.openai.responses.stream(again).finalResponse()
        : user.openai.responses.create(again);
    });
    assertMatchesSchema("Response", result);
    assert.equal(result.output_text, "It is sunny.");
    const upstream = requests[0]?.body as { messages: Array<{ role: string; content: unknown }> } | undefined;
    const messages = upstream?.messages ?? [];
    const results = JSON.stringify(messages.at(-1)?.content);
    assert.match(results, /tool_result/);
    assert.match(results, new RegExp(toolCall.call_id));
  });
}

test("previous_response_id and store: true are refused before anything goes upstream", async () => {
  const user = await env.user();
  for (const [fields, param] of [
    [{ previous_response_id: "resp_x" }, "previous_response_id"],
    [{ store: true }, "store"],
  ] as const) {
    const { result, requests } = await upstreamOf(() =>
      call(env.gateway, "POST", "/v1/responses", {
        token: user.token,
        body: { model: "claude", input: "hi", ...fields },
      }),
    );
    assert.equal(result.status, 400, result.text);
    assertValidErrorResponse(result.body);
    assert.equal(errorOf(result).param, param);
    assert.equal(requests.length, 0);
  }
});

test("a provider error mid-stream ends the stream once, as error then response.failed, keys redacted", async () => {
  const user = await env.user({ anthropic: ANTHROPIC_USER_KEY });
  const failMidway = (_request: unknown, res: import("node:http").ServerResponse) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    writeAnthropicEvent(res, {
      type: "message_start",
      message: {
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: CLAUDE_MODEL,
        content: [],
        stop_reason: null,
        usage: { input_tokens: 3, output_tokens: 1 },
      },
    });
    writeAnthropicEvent(res, {
      type: "content_block_start",
      index: 0,
      content_block: { type: "text", text: "" },
    });
    writeAnthropicEvent(res, {
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text: "Hel" },
    });
    writeAnthropicEvent(res, {
      type: "error",
      error: { type: "overloaded_error", message: `Overloaded for key ${ANTHROPIC_USER_KEY}` },
    });
    res.end();
  };
  env.anthropic.respondNext(failMidway);
  const response = await call(env.gateway, "POST", "/v1/responses", {
    token: user.token,
    headers: user.headers,
    body: { model: "claude", input: "hi", stream: true },
  });
  assert.equal(response.status, 200);
  assert.equal(response.text.includes(ANTHROPIC_USER_KEY), false, response.text);
  const blocks = response.text.split("\n\n").filter((block) => block.trim() !== "");
  const events = blocks.map((block) =>
    JSON.parse(
      block
        .split("\n")
        .find((line) => line.startsWith("data: "))!
        .slice(6),
    ),
  );
  for (const event of events) assertMatchesSchema("ResponseStreamEvent", event);
  for (const [index, event] of events.entries()) assert.equal(event.sequence_number, index);
  const { error, response: failed } = assertFailedEnd(events);
  assert.equal(error.code, "overloaded_error");
  assert.equal(failed.error.code, "server_error", "overloaded_error is no ResponseErrorCode");
  assert.match(failed.error.message, /Overloaded for key/);
  const output = failed.output as Array<{ content: Array<{ text: string }> }>;
  assert.equal(output[0]?.content[0]?.text, "Hel", "the output so far");

  // The official SDK: iterating raises, finalResponse() rejects with the API error (an OpenAIError).
  env.anthropic.respondNext(failMidway);
  const stream = user.openai.responses.stream({ model: "claude", input: "hi" });
  const seen: string[] = [];
  const raised = await (async () => {
    for await (const event of stream) seen.push(event.type);
  })().then(
    () => null,
    (thrown: unknown) => thrown,
  );
  assert.ok(raised instanceof OpenAI.APIError, String(raised));
  assert.equal(raised.code, "overloaded_error");
  assert.equal(raised.message.includes(ANTHROPIC_USER_KEY), false, raised.message);
  assert.ok(seen.includes("response.output_text.delta"), seen.join(", "));
  const final = await stream.finalResponse().then(
    () => null,
    (thrown: unknown) => thrown,
  );
  assert.ok(final instanceof OpenAI.OpenAIError, String(final));
});

test("usage on an operator route is metered against the plan", async () => {
  const user = await env.user({}, METERED_PLAN);
  // Anthropic needs max_tokens: without max_output_tokens the default (4096) is reserved, past this plan.
  const created = await user.openai.responses.create({
    model: "claude",
    input: "one two three",
    max_output_tokens: 100,
  });
  const spent = (created.usage?.input_tokens ?? 0) + (created.usage?.output_tokens ?? 0);
  assert.ok(spent > 0);
  const report = await call(env.gateway, "GET", "/v1/usage", { token: user.token });
  const used = (report.body as { limits: Array<{ meter: string; used: number }> }).limits.find(
    (item) => item.meter === "tokens",
  )?.used;
  assert.equal(used, spent);
});
