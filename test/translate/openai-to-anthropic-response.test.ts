/**
 * @module test/translate/openai-to-anthropic-response.test
 * Whole OpenAI chat completions → Anthropic messages: text, refusals, tool calls, finish reasons, usage split
 * into uncached input, cache reads and cache writes, and the provider's unparseable arguments.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { mapOpenAiFinishReason } from "../../src/translate/map-openai-finish-reason.ts";
import { openAiToAnthropicResponse } from "../../src/translate/openai-to-anthropic-response.ts";

type Json = Record<string, unknown>;
const completion = (message: Json, finish: string | null = "stop", usage: unknown = undefined): Json => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "gpt-4.1-mini",
  choices: [
    {
      index: 0,
      message: { role: "assistant", refusal: null, ...message },
      logprobs: null,
      finish_reason: finish,
    },
  ],
  ...(usage === undefined ? {} : { usage }),
});

function translate(body: unknown) {
  const result = openAiToAnthropicResponse(body);
  assert.ok(result.ok, result.ok ? "" : JSON.stringify(result.error));
  return result.value;
}

test("text and usage (cached tokens are cache reads, not input)", () => {
  const usage = {
    prompt_tokens: 3084,
    completion_tokens: 9,
    total_tokens: 3093,
    prompt_tokens_details: { cached_tokens: 2048 },
  };
  assert.deepEqual(translate(completion({ content: "Hello" }, "stop", usage)), {
    id: "chatcmpl-1",
    type: "message",
    role: "assistant",
    model: "gpt-4.1-mini",
    content: [{ type: "text", text: "Hello" }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: {
      input_tokens: 1036,
      output_tokens: 9,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 2048,
    },
  });
});

test("tool calls become tool_use blocks with parsed input; empty arguments are {}", () => {
  const message = translate(
    completion(
      {
        content: "Checking.",
        tool_calls: [
          {
            id: "call_1",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Paris"}' },
          },
          { id: "call_2", type: "function", function: { name: "list_files", arguments: "" } },
        ],
      },
      "tool_calls",
    ),
  );
  assert.deepEqual(message.content, [
    { type: "text", text: "Checking." },
    { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Paris" } },
    { type: "tool_use", id: "call_2", name: "list_files", input: {} },
  ]);
  assert.equal(message.stop_reason, "tool_use");
});

test("a host that says stop with tool calls still ends in tool_use", () => {
  const message = translate(
    completion(
      {
        content: null,
        tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }],
      },
      "stop",
    ),
  );
  assert.equal(message.stop_reason, "tool_use");
});

test("a refusal is text with stop_reason refusal; content parts from lenient hosts are read", () => {
  const refused = translate(completion({ content: null, refusal: "I can't." }));
  assert.deepEqual(refused.content, [{ type: "text", text: "I can't." }]);
  assert.equal(refused.stop_reason, "refusal");
  const parts = translate(
    completion({
      content: [
        { type: "text", text: "a" },
        { type: "text", text: "b" },
      ],
    }),
  );
  assert.deepEqual(parts.content, [{ type: "text", text: "ab" }]);
});

test("every finish_reason maps to a stop_reason", () => {
  const cases: [unknown, string][] = [
    ["stop", "end_turn"],
    ["length", "max_tokens"],
    ["tool_calls", "tool_use"],
    ["function_call", "tool_use"],
    ["content_filter", "refusal"],
    [null, "end_turn"],
    ["other", "end_turn"],
  ];
  for (const [finish, stop] of cases) assert.equal(mapOpenAiFinishReason(finish), stop, String(finish));
});

test("cache writes reported by a host are split out of the input; missing usage is zero", () => {
  const usage = {
    prompt_tokens: 100,
    completion_tokens: 1,
    prompt_tokens_details: { cached_tokens: 30, cache_write_tokens: 50 },
  };
  assert.deepEqual(translate(completion({ content: "x" }, "stop", usage)).usage, {
    input_tokens: 20,
    output_tokens: 1,
    cache_creation_input_tokens: 50,
    cache_read_input_tokens: 30,
  });
  assert.equal(translate(completion({ content: "x" })).usage.input_tokens, 0);
});

test("unparseable tool arguments and non-completions are the provider's fault", () => {
  const bad = openAiToAnthropicResponse(
    completion(
      { tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{oops" } }] },
      "tool_calls",
    ),
  );
  assert.ok(!bad.ok);
  assert.equal(bad.error.code, "invalid_upstream_response");
  const array = openAiToAnthropicResponse(
    completion(
      { tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "[1]" } }] },
      "tool_calls",
    ),
  );
  assert.ok(!array.ok);
  const notCompletion = openAiToAnthropicResponse({ error: { message: "x" } });
  assert.ok(!notCompletion.ok);
  assert.equal(notCompletion.error.code, "invalid_upstream_response");
});
