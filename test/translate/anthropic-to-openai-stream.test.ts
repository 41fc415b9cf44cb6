/**
 * @module test/translate/anthropic-to-openai-stream.test
 * Anthropic streams → OpenAI chunks through the conformance kit (every fixture, with and without usage, every
 * line ending, split anywhere), plus the edges: cut streams, unreadable events, JSON mode, usage reporting.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { GatewayError } from "../../src/errors/gateway-error.ts";
import type { AnthropicToOpenAiStreamOptions } from "../../src/translate/anthropic-events-to-openai-chunks.ts";
import { createAnthropicToOpenAiStream } from "../../src/translate/anthropic-to-openai-stream.ts";
import type { TokenUsage } from "../../src/wire/openai/openai-usage.ts";
import { assertOpenAiStream } from "./assert-openai-stream.ts";
import { anthropicStreamFixtures, readFixture, runStreamConformance } from "./conformance-kit.ts";

const CREATED = 1_750_000_000;
const translator =
  (options: Partial<AnthropicToOpenAiStreamOptions> = {}) =>
  () =>
    createAnthropicToOpenAiStream({ includeUsage: false, created: CREATED, ...options });
const fixture = (name: string) => {
  const found = anthropicStreamFixtures.find((item) => item.name === `anthropic/${name}`);
  assert.ok(found, name);
  return found;
};
const event = (data: Record<string, unknown>) =>
  `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`;
const translateAll = (text: string, options: Partial<AnthropicToOpenAiStreamOptions> = {}) => {
  const stream = translator(options)();
  return [...stream.push(text), ...stream.end()].join("");
};

for (const item of anthropicStreamFixtures) {
  for (const includeUsage of [false, true]) {
    test(`${item.name} → OpenAI chunks, include_usage ${includeUsage}`, () => {
      runStreamConformance(item, translator({ includeUsage }), { includeUsage });
    });
  }
}

test("split in two at every byte (multi-byte characters included), every line ending", () => {
  for (const newline of ["\n", "\r\n", "\r"] as const) {
    runStreamConformance(fixture("text-cache-usage"), translator({ includeUsage: true }), {
      includeUsage: true,
      newline,
      replays: ["halves", "bytes"],
    });
  }
  runStreamConformance(fixture("parallel-tools"), translator(), { newline: "\r\n", replays: ["halves"] });
});

test("the first chunk leaves on message_start and carries the upstream's id and model", () => {
  const stream = translator()();
  const [first] = readFixture(fixture("text-then-tool")).split("\n\n");
  const out = stream.push(`${first}\n\n`);
  assert.equal(out.length, 1);
  const chunk = JSON.parse(out[0]?.slice(6) ?? "") as Record<string, unknown>;
  assert.equal(chunk.id, "msg_01Aq9w938a90dw8q");
  assert.equal(chunk.model, "claude-sonnet-4-20250514");
  assert.equal(chunk.created, CREATED);
  assert.deepEqual(chunk.choices, [
    { index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null },
  ]);
});

test("onUsage reports the metered counts once, cache reads and writes in the prompt", () => {
  const seen: [TokenUsage, boolean][] = [];
  translateAll(readFixture(fixture("text-cache-usage")), {
    onUsage: (usage, complete) => seen.push([usage, complete]),
  });
  assert.deepEqual(seen, [[{ inputTokens: 3084, outputTokens: 9, cachedInputTokens: 2048 }, true]]);
  const failed: boolean[] = [];
  translateAll(readFixture(fixture("error-midway")), {
    onUsage: (_usage, complete) => failed.push(complete),
  });
  assert.deepEqual(failed, [false]);
});

test("a stream cut before message_delta ends with an error payload the SDK raises, never [DONE]", () => {
  const text = readFixture(fixture("max-tokens")).split("event: content_block_stop")[0] ?? "";
  const out = translateAll(text);
  const stream = assertOpenAiStream(out, { includeUsage: false });
  assert.equal(stream.text, "Once upon a time, in a land far");
  assert.equal(stream.error?.code, "stream_truncated");
  assert.equal(stream.error?.type, "upstream_error");
});

test("a stream cut after message_delta (no message_stop) still finishes", () => {
  const text = readFixture(fixture("max-tokens")).split("event: message_stop")[0] ?? "";
  const stream = assertOpenAiStream(translateAll(text, { includeUsage: true }), { includeUsage: true });
  assert.equal(stream.finishReason, "length");
  assert.equal(stream.usage?.completion_tokens, 10);
});

test("an unreadable event ends the stream with invalid_upstream_event; describeFailure can word it", () => {
  const start = readFixture(fixture("max-tokens")).split("\n\n")[0] ?? "";
  const broken = `${start}\n\nevent: content_block_delta\ndata: {not json\n\n`;
  assert.equal(
    assertOpenAiStream(translateAll(broken), { includeUsage: false }).error?.code,
    "invalid_upstream_event",
  );
  const worded = translateAll(readFixture(fixture("error-midway")), {
    describeFailure: (failure) =>
      new GatewayError("upstream_error", {
        message: `anthropic: ${failure.providerMessage}`,
        code: failure.providerType ?? "x",
        provider: "anthropic",
      }),
  });
  const error = assertOpenAiStream(worded, { includeUsage: false }).error;
  assert.deepEqual(error, {
    message: "anthropic: Overloaded",
    type: "upstream_error",
    param: null,
    code: "overloaded_error",
    provider: "anthropic",
  });
});

test("an error before message_start is the only payload", () => {
  const out = translateAll(event({ type: "error", error: { type: "api_error", message: "Internal" } }));
  assert.equal(out.split("\n\n").length, 2);
  assert.equal(assertOpenAiStream(out, { includeUsage: false }).error?.code, "api_error");
});

test("unknown events and blocks are skipped; redacted thinking and signatures leave nothing", () => {
  const text = [
    event({
      type: "message_start",
      message: { id: "msg_1", model: "claude", usage: { input_tokens: 3, output_tokens: 1 } },
    }),
    event({
      type: "content_block_start",
      index: 0,
      content_block: { type: "redacted_thinking", data: "EmwKAhgB" },
    }),
    event({ type: "content_block_stop", index: 0 }),
    event({
      type: "content_block_start",
      index: 1,
      content_block: { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: {} },
    }),
    event({
      type: "content_block_delta",
      index: 1,
      delta: { type: "input_json_delta", partial_json: '{"query":"x"}' },
    }),
    event({ type: "content_block_stop", index: 1 }),
    event({ type: "future_event", detail: 1 }),
    event({ type: "content_block_start", index: 2, content_block: { type: "text", text: "Hi" } }),
    event({ type: "content_block_delta", index: 2, delta: { type: "citations_delta", citation: {} } }),
    event({ type: "content_block_stop", index: 2 }),
    event({ type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 2 } }),
    event({ type: "message_stop" }),
  ].join("");
  const stream = assertOpenAiStream(translateAll(text), { includeUsage: false });
  assert.equal(stream.text, "Hi");
  assert.deepEqual(stream.toolCalls, []);
  assert.equal(stream.chunks.length, 3, "role, text, finish");
});

test("JSON mode: the forced tool's input streams as content and the finish is stop", () => {
  const text = [
    event({
      type: "message_start",
      message: { id: "msg_j", model: "claude", usage: { input_tokens: 5, output_tokens: 1 } },
    }),
    event({
      type: "content_block_start",
      index: 0,
      content_block: { type: "tool_use", id: "toolu_j", name: "json_response", input: {} },
    }),
    event({
      type: "content_block_delta",
      index: 0,
      delta: { type: "input_json_delta", partial_json: '{"a":' },
    }),
    event({
      type: "content_block_delta",
      index: 0,
      delta: { type: "input_json_delta", partial_json: " 1}" },
    }),
    event({ type: "content_block_stop", index: 0 }),
    event({ type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 7 } }),
    event({ type: "message_stop" }),
  ].join("");
  const stream = assertOpenAiStream(translateAll(text, { jsonToolName: "json_response" }), {
    includeUsage: false,
  });
  assert.deepEqual(JSON.parse(stream.text), { a: 1 });
  assert.equal(stream.finishReason, "stop");
  assert.deepEqual(stream.toolCalls, []);
});

test("a tool block that starts with its input and streams none sends that input", () => {
  const text = [
    event({
      type: "message_start",
      message: { id: "msg_i", model: "claude", usage: { input_tokens: 5, output_tokens: 1 } },
    }),
    event({
      type: "content_block_start",
      index: 0,
      content_block: { type: "tool_use", id: "toolu_i", name: "f", input: { x: 1 } },
    }),
    event({ type: "content_block_stop", index: 0 }),
    event({ type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 7 } }),
    event({ type: "message_stop" }),
  ].join("");
  const stream = assertOpenAiStream(translateAll(text), { includeUsage: false });
  assert.deepEqual(stream.toolCalls, [{ id: "toolu_i", name: "f", arguments: '{"x":1}' }]);
});

test("input after the end is ignored", () => {
  const stream = translator()();
  const out = stream.push(readFixture(fixture("max-tokens")));
  assert.equal(out.at(-1), "data: [DONE]\n\n");
  assert.deepEqual(stream.push(event({ type: "message_stop" })), []);
  assert.deepEqual(stream.end(), []);
});
