/**
 * @module test/translate/anthropic-to-openai-request.test
 * Anthropic Messages requests (the /v1/messages ingress) → OpenAI chat requests: system, tool_use and
 * tool_result, images and documents, tools, every tool_choice form, stops, limits, user, streams; a round
 * trip through both request translators keeps a conversation whole.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type AnthropicToOpenAiRequestOptions,
  anthropicToOpenAiRequest,
} from "../../src/translate/anthropic-to-openai-request.ts";
import { openAiToAnthropicRequest } from "../../src/translate/openai-to-anthropic-request.ts";
import type { TranslationError } from "../../src/translate/translation-result.ts";

type Json = Record<string, unknown>;
const base = (extra: Json = {}): Json => ({
  model: "feature",
  max_tokens: 1024,
  messages: [{ role: "user", content: "Hi" }],
  ...extra,
});
const weather = {
  name: "get_weather",
  description: "Weather",
  input_schema: { type: "object", properties: { city: { type: "string" } } },
};

function ok(body: unknown, options?: AnthropicToOpenAiRequestOptions) {
  const result = anthropicToOpenAiRequest(body, options);
  assert.ok(result.ok, result.ok ? "" : JSON.stringify(result.error));
  return result.value;
}
function rejected(body: unknown): TranslationError {
  const result = anthropicToOpenAiRequest(body);
  assert.ok(!result.ok, "expected an error");
  return result.error;
}

describe("messages", () => {
  test("a system prompt (string or blocks) leads; cache_control is dropped", () => {
    assert.deepEqual(ok(base({ system: "Be brief." })).body.messages, [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi" },
    ]);
    const blocks = [
      { type: "text", text: "A" },
      { type: "text", text: "B", cache_control: { type: "ephemeral" } },
    ];
    assert.deepEqual((ok(base({ system: blocks })).body.messages as Json[])[0], {
      role: "system",
      content: "A\n\nB",
    });
  });

  test("tool_use and tool_result: tool messages right after the assistant turn, then the rest of the user turn", () => {
    const { body } = ok(
      base({
        messages: [
          { role: "user", content: "Weather?" },
          {
            role: "assistant",
            content: [
              { type: "thinking", thinking: "hm", signature: "s" },
              { type: "text", text: "Checking." },
              { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
              { type: "tool_use", id: "toolu_2", name: "screenshot", input: {} },
            ],
          },
          {
            role: "user",
            content: [
              { type: "tool_result", tool_use_id: "toolu_1", content: "18C", is_error: false },
              {
                type: "tool_result",
                tool_use_id: "toolu_2",
                is_error: true,
                content: [
                  { type: "text", text: "partial" },
                  { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBO" } },
                ],
              },
              { type: "text", text: "And tomorrow?" },
            ],
          },
        ],
      }),
    );
    assert.deepEqual(body.messages, [
      { role: "user", content: "Weather?" },
      {
        role: "assistant",
        content: "Checking.",
        tool_calls: [
          {
            id: "toolu_1",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Paris"}' },
          },
          { id: "toolu_2", type: "function", function: { name: "screenshot", arguments: "{}" } },
        ],
      },
      { role: "tool", tool_call_id: "toolu_1", content: "18C" },
      { role: "tool", tool_call_id: "toolu_2", content: "partial" },
      {
        role: "user",
        content: [
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBO" } },
          { type: "text", text: "And tomorrow?" },
        ],
      },
    ]);
  });

  test("images and documents become image_url and file parts", () => {
    const { body } = ok(
      base({
        messages: [
          {
            role: "user",
            content: [
              { type: "image", source: { type: "url", url: "https://example.com/a.png" } },
              {
                type: "document",
                title: "r.pdf",
                source: { type: "base64", media_type: "application/pdf", data: "JVBE" },
              },
              { type: "document", source: { type: "text", media_type: "text/plain", data: "plain" } },
            ],
          },
        ],
      }),
    );
    assert.deepEqual((body.messages as Json[])[0], {
      role: "user",
      content: [
        { type: "image_url", image_url: { url: "https://example.com/a.png" } },
        { type: "file", file: { filename: "r.pdf", file_data: "data:application/pdf;base64,JVBE" } },
        { type: "text", text: "plain" },
      ],
    });
  });

  test("bad conversations are refused: unknown tool ids, empty lists, strange blocks and roles", () => {
    const unknown = rejected(
      base({
        messages: [
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_x", content: "1" }] },
        ],
      }),
    );
    assert.equal(unknown.code, "unknown_tool_call");
    assert.equal(unknown.param, "messages[0].content[0].tool_use_id");
    assert.equal(rejected(base({ messages: [] })).param, "messages");
    assert.equal(rejected(base({ messages: [{ role: "system", content: "x" }] })).param, "messages[0].role");
    assert.equal(
      rejected(
        base({
          messages: [{ role: "user", content: [{ type: "image", source: { type: "file", file_id: "f" } }] }],
        }),
      ).code,
      "unsupported_parameter",
    );
    assert.equal(
      rejected(base({ messages: [{ role: "user", content: [{ type: "search_result" }] }] })).code,
      "unsupported_parameter",
    );
    assert.equal(
      rejected(
        base({
          messages: [{ role: "assistant", content: [{ type: "tool_use", id: "t", name: "f", input: [1] }] }],
        }),
      ).param,
      "messages[0].content[0].input",
    );
  });
});

describe("tools and parameters", () => {
  test("tools and every tool_choice form", () => {
    const cases: [Json, unknown][] = [
      [{ type: "auto" }, "auto"],
      [{ type: "any" }, "required"],
      [{ type: "none" }, "none"],
      [
        { type: "tool", name: "get_weather" },
        { type: "function", function: { name: "get_weather" } },
      ],
    ];
    for (const [choice, expected] of cases) {
      const { body } = ok(base({ tools: [weather], tool_choice: choice }));
      assert.deepEqual(body.tool_choice, expected);
      assert.deepEqual(body.tools, [
        {
          type: "function",
          function: { name: "get_weather", description: "Weather", parameters: weather.input_schema },
        },
      ]);
    }
    assert.equal(
      ok(base({ tools: [weather], tool_choice: { type: "any", disable_parallel_tool_use: true } })).body
        .parallel_tool_calls,
      false,
    );
    assert.equal(ok(base({ tool_choice: { type: "auto" } })).body.tool_choice, undefined);
  });

  test("malformed tools, server tools and impossible choices are refused", () => {
    assert.equal(
      rejected(base({ tools: [{ name: "f", input_schema: { type: "string" } }] })).param,
      "tools[0].input_schema",
    );
    assert.equal(rejected(base({ tools: [{ name: "f" }] })).param, "tools[0].input_schema");
    assert.equal(rejected(base({ tools: [{ input_schema: { type: "object" } }] })).param, "tools[0].name");
    assert.equal(
      rejected(base({ tools: [{ type: "web_search_20250305", name: "web_search" }] })).code,
      "unsupported_parameter",
    );
    assert.equal(
      rejected(base({ tools: [weather], tool_choice: { type: "tool", name: "nope" } })).param,
      "tool_choice.name",
    );
    assert.equal(rejected(base({ tool_choice: { type: "any" } })).param, "tool_choice");
    assert.equal(rejected(base({ mcp_servers: [{ url: "https://x" }] })).code, "unsupported_parameter");
  });

  test("stop sequences, limits, sampling, user, streams with usage; what has no counterpart is listed", () => {
    const result = ok(
      base({
        stop_sequences: ["END"],
        temperature: 0.5,
        top_p: 0.8,
        top_k: 20,
        metadata: { user_id: "u-1" },
        stream: true,
        thinking: { type: "enabled", budget_tokens: 1024 },
        service_tier: "auto",
      }),
    );
    assert.deepEqual(result.body, {
      model: "feature",
      messages: [{ role: "user", content: "Hi" }],
      max_tokens: 1024,
      stop: ["END"],
      temperature: 0.5,
      top_p: 0.8,
      user: "u-1",
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.deepEqual(result.ignoredFields, ["top_k", "thinking", "service_tier"]);
    assert.equal(
      ok(base(), { maxTokensField: "max_completion_tokens", model: "gpt-4.1" }).body.max_completion_tokens,
      1024,
    );
    assert.equal(ok(base(), { model: "gpt-4.1" }).body.model, "gpt-4.1");
    assert.equal(rejected(base({ max_tokens: -1 })).param, "max_tokens");
    assert.equal(rejected(base({ stop_sequences: "END" })).param, "stop_sequences");
  });
});

test("round trip: OpenAI → Anthropic → OpenAI keeps the conversation", () => {
  const original = {
    model: "m",
    max_tokens: 200,
    messages: [
      { role: "system", content: "Be brief." },
      {
        role: "user",
        content: [
          { type: "text", text: "Look" },
          { type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/" } },
        ],
      },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "call_1",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: "18C" },
      { role: "assistant", content: "It is 18C." },
      { role: "user", content: "Thanks" },
    ],
    tools: [
      {
        type: "function",
        function: { name: "get_weather", description: "Weather", parameters: weather.input_schema },
      },
    ],
    tool_choice: "required",
    parallel_tool_calls: false,
    stop: ["END"],
    temperature: 0.3,
    user: "u-9",
  };
  const there = openAiToAnthropicRequest(original);
  assert.ok(there.ok);
  const back = anthropicToOpenAiRequest(there.value.body);
  assert.ok(back.ok, back.ok ? "" : JSON.stringify(back.error));
  assert.deepEqual(back.value.body, original);
});
