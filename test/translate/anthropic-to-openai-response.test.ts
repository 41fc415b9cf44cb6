/**
 * @module test/translate/anthropic-to-openai-response.test
 * Whole Anthropic messages → OpenAI chat completions (validated against OpenAI's schema): text, tool calls,
 * thinking as reasoning_content, every stop reason, usage with cache reads and writes, JSON mode.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { anthropicToOpenAiResponse } from "../../src/translate/anthropic-to-openai-response.ts";
import { mapAnthropicStopReason } from "../../src/translate/map-anthropic-stop-reason.ts";
import { assertValidChatCompletion } from "../support/openai-schema.ts";

type Json = Record<string, unknown>;
const message = (content: unknown[], extra: Json = {}): Json => ({
  id: "msg_01",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-20250514",
  content,
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: {
    input_tokens: 10,
    output_tokens: 5,
    cache_creation_input_tokens: 100,
    cache_read_input_tokens: 200,
  },
  ...extra,
});

function translate(body: unknown, jsonToolName: string | null = null) {
  const result = anthropicToOpenAiResponse(body, { created: 1_750_000_000, jsonToolName });
  assert.ok(result.ok, result.ok ? "" : JSON.stringify(result.error));
  assertValidChatCompletion(result.value);
  return result.value;
}

test("text blocks join into content; usage counts cache reads and writes as prompt tokens", () => {
  const completion = translate(
    message([
      { type: "text", text: "Hello" },
      { type: "text", text: " there" },
    ]),
  );
  assert.deepEqual(completion, {
    id: "msg_01",
    object: "chat.completion",
    created: 1_750_000_000,
    model: "claude-sonnet-4-20250514",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: "Hello there", refusal: null },
        logprobs: null,
        finish_reason: "stop",
      },
    ],
    usage: {
      prompt_tokens: 310,
      completion_tokens: 5,
      total_tokens: 315,
      prompt_tokens_details: { cached_tokens: 200, cache_write_tokens: 100 },
    },
  });
});

test("tool_use blocks become tool calls with JSON-string arguments; content is null without text", () => {
  const completion = translate(
    message(
      [
        { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
        { type: "tool_use", id: "toolu_2", name: "list_files", input: {} },
      ],
      { stop_reason: "tool_use" },
    ),
  );
  const [choice] = completion.choices;
  assert.equal(choice.finish_reason, "tool_calls");
  assert.equal(choice.message.content, null);
  assert.deepEqual(choice.message.tool_calls, [
    { id: "toolu_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
    { id: "toolu_2", type: "function", function: { name: "list_files", arguments: "{}" } },
  ]);
});

test("thinking becomes reasoning_content; redacted thinking and server tool blocks are dropped", () => {
  const completion = translate(
    message([
      { type: "thinking", thinking: "Let me think.", signature: "sig" },
      { type: "redacted_thinking", data: "xyz" },
      { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "x" } },
      { type: "text", text: "Answer." },
    ]),
  );
  assert.equal(completion.choices[0].message.content, "Answer.");
  assert.equal(completion.choices[0].message.reasoning_content, "Let me think.");
  assert.equal(completion.choices[0].message.tool_calls, undefined);
});

test("every stop reason maps to a finish_reason", () => {
  const cases: [unknown, string][] = [
    ["end_turn", "stop"],
    ["stop_sequence", "stop"],
    ["max_tokens", "length"],
    ["model_context_window_exceeded", "length"],
    ["tool_use", "tool_calls"],
    ["refusal", "content_filter"],
    ["pause_turn", "stop"],
    [null, "stop"],
    ["something_new", "stop"],
  ];
  for (const [stop, finish] of cases) {
    assert.equal(mapAnthropicStopReason(stop), finish, String(stop));
    assert.equal(
      translate(message([{ type: "text", text: "x" }], { stop_reason: stop })).choices[0].finish_reason,
      finish,
    );
  }
  assert.equal(mapAnthropicStopReason("tool_use", true), "stop");
});

test("JSON mode: the forced tool's input is the content and the finish is stop", () => {
  const completion = translate(
    message([{ type: "tool_use", id: "toolu_j", name: "json_response", input: { answer: "42" } }], {
      stop_reason: "tool_use",
    }),
    "json_response",
  );
  assert.equal(completion.choices[0].message.content, '{"answer":"42"}');
  assert.equal(completion.choices[0].message.tool_calls, undefined);
  assert.equal(completion.choices[0].finish_reason, "stop");
});

test("missing usage and fields read leniently; a non-message is the provider's fault", () => {
  const completion = translate({ content: [{ type: "text", text: "x" }] });
  assert.equal(completion.usage.total_tokens, 0);
  assert.equal(completion.model, "unknown");
  const bad = anthropicToOpenAiResponse({ type: "error" });
  assert.ok(!bad.ok);
  assert.equal(bad.error.code, "invalid_upstream_response");
  const nameless = anthropicToOpenAiResponse(message([{ type: "tool_use", input: {} }]));
  assert.ok(!nameless.ok);
});
