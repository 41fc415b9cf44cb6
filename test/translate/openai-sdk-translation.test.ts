/**
 * @module test/translate/openai-sdk-translation.test
 * The official `openai` SDK reading translated Anthropic answers (through its `fetch` option, no network):
 * `create`, streamed iteration, `.stream()` + `finalChatCompletion()` (which throws on a missing role,
 * finish_reason, tool type or name), a mid-stream error raised as APIError, and a two-turn `runTools` loop
 * whose every request is translated to Anthropic on the way.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import OpenAI from "openai";
import { anthropicToOpenAiResponse } from "../../src/translate/anthropic-to-openai-response.ts";
import { createAnthropicToOpenAiStream } from "../../src/translate/anthropic-to-openai-stream.ts";
import type { AnthropicRequestTranslation } from "../../src/translate/openai-to-anthropic-request.ts";
import { openAiToAnthropicRequest } from "../../src/translate/openai-to-anthropic-request.ts";
import { translateStream } from "../../src/translate/stream-translator.ts";
import { assertValidChatCompletion, assertValidChatCompletionChunk } from "../support/openai-schema.ts";
import { anthropicStreamFixtures, readFixture, splitEvents } from "./stream-fixtures.ts";

type Upstream = (request: AnthropicRequestTranslation) => string | Record<string, unknown>;

const fixtureText = (name: string): string => {
  const fixture = anthropicStreamFixtures.find((item) => item.name === `anthropic/${name}`);
  assert.ok(fixture, name);
  return readFixture(fixture);
};

async function* paced(text: string): AsyncGenerator<string> {
  for (const event of splitEvents(text)) {
    await new Promise((resolve) => setImmediate(resolve));
    yield event;
  }
}

/** A client whose requests are translated to Anthropic and whose answers come back translated to OpenAI. */
function clientFor(upstream: Upstream, seen: AnthropicRequestTranslation[] = []): OpenAI {
  return new OpenAI({
    apiKey: "sk-test",
    baseURL: "http://anthropic-route.invalid/v1",
    maxRetries: 0,
    fetch: async (_input, init) => {
      const translated = openAiToAnthropicRequest(JSON.parse(String(init?.body)));
      assert.ok(translated.ok, translated.ok ? "" : JSON.stringify(translated.error));
      seen.push(translated.value);
      const answer = upstream(translated.value);
      if (typeof answer !== "string") {
        const completion = anthropicToOpenAiResponse(answer, { jsonToolName: translated.value.jsonToolName });
        assert.ok(completion.ok);
        return Response.json(completion.value);
      }
      const translator = createAnthropicToOpenAiStream({
        includeUsage: translated.value.includeUsage,
        jsonToolName: translated.value.jsonToolName,
      });
      const encoder = new TextEncoder();
      const body = ReadableStream.from(
        (async function* () {
          for await (const text of translateStream(paced(answer), translator)) yield encoder.encode(text);
        })(),
      );
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    },
  });
}

const tools: OpenAI.ChatCompletionFunctionTool[] = [
  {
    type: "function",
    function: {
      name: "get_weather",
      parameters: { type: "object", properties: { city: { type: "string" } } },
    },
  },
];

test("create: a whole message validates and reads back", async () => {
  const client = clientFor(() => ({
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-20250514",
    content: [
      { type: "text", text: "Hi!" },
      { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
    ],
    stop_reason: "tool_use",
    stop_sequence: null,
    usage: { input_tokens: 5, output_tokens: 3, cache_read_input_tokens: 2, cache_creation_input_tokens: 0 },
  }));
  const completion = await client.chat.completions.create({
    model: "feature",
    messages: [{ role: "user", content: "Hi" }],
    tools,
  });
  assertValidChatCompletion(completion);
  assert.equal(completion.choices[0]?.finish_reason, "tool_calls");
  assert.equal(completion.usage?.prompt_tokens_details?.cached_tokens, 2);
});

test("streamed iteration: every chunk validates, usage last", async () => {
  const client = clientFor(() => fixtureText("parallel-tools"));
  const stream = await client.chat.completions.create({
    model: "feature",
    messages: [{ role: "user", content: "Weather?" }],
    tools,
    stream: true,
    stream_options: { include_usage: true },
  });
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  for await (const chunk of stream) {
    assertValidChatCompletionChunk(chunk);
    chunks.push(chunk);
  }
  assert.equal(chunks.at(-1)?.usage?.prompt_tokens, 820);
  assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, "tool_calls");
});

for (const name of [
  "text-cache-usage",
  "text-then-tool",
  "parallel-tools",
  "empty-arguments-tool",
  "max-tokens",
]) {
  test(`stream() + finalChatCompletion() accepts ${name}`, async () => {
    const client = clientFor(() => fixtureText(name));
    const runner = client.chat.completions.stream({
      model: "feature",
      messages: [{ role: "user", content: "Go" }],
      tools,
      stream_options: { include_usage: true },
    });
    const final = await runner.finalChatCompletion();
    const choice = final.choices[0];
    assert.ok(choice);
    const expected = anthropicStreamFixtures.find((item) => item.name === `anthropic/${name}`)?.expect;
    assert.ok(expected);
    assert.equal(choice.finish_reason, expected.stop);
    assert.equal(choice.message.content ?? "", expected.text);
    assert.deepEqual(
      (choice.message.tool_calls ?? []).map((call) => {
        assert.equal(call.type, "function");
        return { id: call.id, name: call.function.name, arguments: JSON.parse(call.function.arguments) };
      }),
      expected.toolCalls,
    );
    assert.equal(final.usage?.prompt_tokens, expected.usage.input);
  });
}

test("a mid-stream error is raised by the SDK", async () => {
  const client = clientFor(() => fixtureText("error-midway"));
  const runner = client.chat.completions.stream({
    model: "feature",
    messages: [{ role: "user", content: "Go" }],
  });
  await assert.rejects(runner.finalChatCompletion(), (error: unknown) => {
    assert.ok(error instanceof OpenAI.APIError, String(error));
    assert.match(error.message, /failed in the middle of the stream/);
    return true;
  });
});

test("runTools: a two-turn tool loop, the tool result reaching Anthropic as a tool_result", async () => {
  const seen: AnthropicRequestTranslation[] = [];
  const client = clientFor(
    (request) =>
      request.body.messages.length === 1 ? fixtureText("text-then-tool") : fixtureText("text-cache-usage"),
    seen,
  );
  const calls: unknown[] = [];
  const runner = client.chat.completions.runTools({
    model: "feature",
    messages: [{ role: "user", content: "Weather in Paris?" }],
    stream: true,
    tools: [
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Weather by city",
          parameters: { type: "object", properties: { city: { type: "string" }, unit: { type: "string" } } },
          parse: JSON.parse,
          function: (args: unknown) => {
            calls.push(args);
            return "18C and sunny";
          },
        },
      },
    ],
  });
  assert.equal(await runner.finalContent(), "Hello, wörld! 👋\nSecond line.");
  assert.deepEqual(calls, [{ city: "Paris", unit: "celsius" }]);
  assert.equal(seen.length, 2);
  const second = seen[1]?.body.messages ?? [];
  assert.deepEqual(second.at(-1), {
    role: "user",
    content: [
      { type: "tool_result", tool_use_id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", content: "18C and sunny" },
    ],
  });
  assert.deepEqual(second.at(-2)?.content.at(-1), {
    type: "tool_use",
    id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
    name: "get_weather",
    input: { city: "Paris", unit: "celsius" },
  });
});

test("JSON mode through the SDK: response_format json_schema comes back as parseable content", async () => {
  const client = clientFor(() => ({
    id: "msg_j",
    type: "message",
    role: "assistant",
    model: "claude",
    content: [{ type: "tool_use", id: "toolu_j", name: "json_response", input: { answer: "42" } }],
    stop_reason: "tool_use",
    stop_sequence: null,
    usage: { input_tokens: 5, output_tokens: 3 },
  }));
  const completion = await client.chat.completions.create({
    model: "feature",
    messages: [{ role: "user", content: "Answer?" }],
    response_format: {
      type: "json_schema",
      json_schema: { name: "reply", schema: { type: "object", properties: { answer: { type: "string" } } } },
    },
  });
  assert.deepEqual(JSON.parse(completion.choices[0]?.message.content ?? ""), { answer: "42" });
  assert.equal(completion.choices[0]?.finish_reason, "stop");
});
