/**
 * @module test/translate/openai-to-anthropic-parameters.test
 * OpenAI chat requests → Anthropic Messages requests, the parameters: tools and every tool_choice form, JSON
 * modes, limits and sampling, unsupported and ignored fields, prompt-cache breakpoints.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  DEFAULT_MAX_TOKENS,
  type OpenAiToAnthropicRequestOptions,
  openAiToAnthropicRequest,
} from "../../src/translate/openai-to-anthropic-request.ts";
import type { TranslationError } from "../../src/translate/translation-result.ts";

type Json = Record<string, unknown>;
const user = (content: unknown): Json => ({ role: "user", content });
const base = (extra: Json = {}): Json => ({ model: "claude-x", messages: [user("Hi")], ...extra });
const weather = {
  type: "function",
  function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
};
const time = { type: "function", function: { name: "get_time", description: "Local time" } };

function ok(body: unknown, options?: OpenAiToAnthropicRequestOptions) {
  const result = openAiToAnthropicRequest(body, options);
  assert.ok(result.ok, result.ok ? "" : JSON.stringify(result.error));
  return result.value;
}
function rejected(body: unknown): TranslationError {
  const result = openAiToAnthropicRequest(body);
  assert.ok(!result.ok, "expected an error");
  return result.error;
}

describe("tools and tool_choice", () => {
  test("tools become Anthropic tools with input_schema", () => {
    const { body } = ok(base({ tools: [weather, time] }));
    assert.deepEqual(body.tools, [
      { name: "get_weather", input_schema: { type: "object", properties: { city: { type: "string" } } } },
      { name: "get_time", description: "Local time", input_schema: { type: "object", properties: {} } },
    ]);
    assert.equal(body.tool_choice, undefined);
  });

  test("every tool_choice form", () => {
    const cases: [unknown, unknown][] = [
      ["auto", { type: "auto" }],
      ["none", { type: "none" }],
      ["required", { type: "any" }],
      [
        { type: "function", function: { name: "get_time" } },
        { type: "tool", name: "get_time" },
      ],
    ];
    for (const [choice, expected] of cases) {
      assert.deepEqual(ok(base({ tools: [weather, time], tool_choice: choice })).body.tool_choice, expected);
    }
  });

  test("allowed_tools offers only the allowed tools, in auto or required mode", () => {
    const { body } = ok(
      base({
        tools: [weather, time],
        tool_choice: {
          type: "allowed_tools",
          allowed_tools: { mode: "required", tools: [{ type: "function", function: { name: "get_time" } }] },
        },
      }),
    );
    assert.deepEqual(
      body.tools?.map((tool) => tool.name),
      ["get_time"],
    );
    assert.deepEqual(body.tool_choice, { type: "any" });
  });

  test("parallel_tool_calls: false → disable_parallel_tool_use (none needs no flag)", () => {
    assert.deepEqual(ok(base({ tools: [weather], parallel_tool_calls: false })).body.tool_choice, {
      type: "auto",
      disable_parallel_tool_use: true,
    });
    assert.deepEqual(
      ok(base({ tools: [weather], parallel_tool_calls: false, tool_choice: "required" })).body.tool_choice,
      { type: "any", disable_parallel_tool_use: true },
    );
    assert.deepEqual(
      ok(
        base({
          tools: [weather],
          parallel_tool_calls: false,
          tool_choice: { type: "function", function: { name: "get_weather" } },
        }),
      ).body.tool_choice,
      { type: "tool", name: "get_weather", disable_parallel_tool_use: true },
    );
    assert.deepEqual(
      ok(base({ tools: [weather], parallel_tool_calls: false, tool_choice: "none" })).body.tool_choice,
      { type: "none" },
    );
    assert.equal(ok(base({ tools: [weather], parallel_tool_calls: true })).body.tool_choice, undefined);
  });

  test("tool_choice without tools: auto and none are dropped, a demand for a call is refused", () => {
    assert.equal(ok(base({ tool_choice: "auto" })).body.tool_choice, undefined);
    assert.equal(ok(base({ tool_choice: "none", tools: [] })).body.tool_choice, undefined);
    assert.equal(rejected(base({ tool_choice: "required" })).param, "tool_choice");
  });

  test("malformed tools and choices are refused", () => {
    const bad: [Json, string][] = [
      [
        { tools: [{ type: "function", function: { name: "f", parameters: { type: "string" } } }] },
        "tools[0].function.parameters",
      ],
      [
        { tools: [{ type: "function", function: { name: "f", parameters: "nope" } }] },
        "tools[0].function.parameters",
      ],
      [{ tools: [{ type: "function", function: { name: "bad name!" } }] }, "tools[0].function.name"],
      [{ tools: [{ type: "function" }] }, "tools[0]"],
      [{ tools: [{ type: "custom", custom: { name: "x" } }] }, "tools[0]"],
      [{ tools: [weather, weather] }, "tools"],
      [{ tools: "weather" }, "tools"],
      [{ tools: [weather], tool_choice: { type: "function", function: { name: "nope" } } }, "tool_choice"],
      [{ tools: [weather], tool_choice: { type: "custom", custom: { name: "x" } } }, "tool_choice"],
      [{ tools: [weather], tool_choice: "sometimes" }, "tool_choice"],
    ];
    for (const [extra, param] of bad) assert.equal(rejected(base(extra)).param, param, JSON.stringify(extra));
  });
});

describe("response_format", () => {
  test("json_schema becomes one forced tool whose input is the answer", () => {
    const schema = { type: "object", properties: { answer: { type: "string" } }, required: ["answer"] };
    const result = ok(
      base({
        response_format: { type: "json_schema", json_schema: { name: "reply", schema, strict: true } },
      }),
    );
    assert.equal(result.jsonToolName, "json_response");
    assert.deepEqual(result.body.tools, [
      {
        name: "json_response",
        description: "Answer with JSON that matches this schema.",
        input_schema: schema,
      },
    ]);
    assert.deepEqual(result.body.tool_choice, {
      type: "tool",
      name: "json_response",
      disable_parallel_tool_use: true,
    });
  });

  test("json_object is the same with an open object schema; text is nothing", () => {
    const result = ok(base({ response_format: { type: "json_object" } }));
    assert.deepEqual(result.body.tools?.[0]?.input_schema, { type: "object", additionalProperties: true });
    const plain = ok(base({ response_format: { type: "text" } }));
    assert.equal(plain.jsonToolName, null);
    assert.equal(plain.body.tools, undefined);
  });

  test("what cannot be expressed is refused", () => {
    assert.equal(
      rejected(base({ tools: [weather], response_format: { type: "json_object" } })).code,
      "unsupported_parameter",
    );
    const arraySchema = { type: "json_schema", json_schema: { name: "r", schema: { type: "array" } } };
    assert.equal(
      rejected(base({ response_format: arraySchema })).param,
      "response_format.json_schema.schema",
    );
    assert.equal(rejected(base({ response_format: { type: "yaml" } })).param, "response_format");
  });
});

describe("parameters", () => {
  test("limits, sampling, stop, user, stream and usage", () => {
    const result = ok(
      base({
        max_completion_tokens: 300,
        max_tokens: 999,
        temperature: 0.2,
        top_p: 0.9,
        stop: "END",
        user: "user-42",
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    assert.deepEqual(result.body, {
      model: "claude-x",
      max_tokens: 300,
      messages: [{ role: "user", content: [{ type: "text", text: "Hi" }] }],
      stop_sequences: ["END"],
      temperature: 0.2,
      top_p: 0.9,
      metadata: { user_id: "user-42" },
      stream: true,
    });
    assert.equal(result.includeUsage, true);
    assert.equal(ok(base({ max_tokens: 50 })).body.max_tokens, 50);
    assert.equal(ok(base()).body.max_tokens, DEFAULT_MAX_TOKENS);
    assert.equal(ok(base(), { defaultMaxTokens: 1000 }).body.max_tokens, 1000);
    assert.deepEqual(ok(base({ stop: ["a", "b"] })).body.stop_sequences, ["a", "b"]);
    assert.deepEqual(ok(base({ safety_identifier: "hash" })).body.metadata, { user_id: "hash" });
    assert.equal(ok(base({ stream: false, stream_options: { include_usage: true } })).includeUsage, false);
    assert.equal(ok(base(), { model: "claude-route" }).body.model, "claude-route");
  });

  test("out-of-range values are refused, never clamped", () => {
    assert.equal(rejected(base({ temperature: 1.5 })).param, "temperature");
    assert.equal(rejected(base({ top_p: -1 })).param, "top_p");
    assert.equal(rejected(base({ max_tokens: 0 })).param, "max_tokens");
    assert.equal(rejected(base({ max_completion_tokens: 1.5 })).param, "max_completion_tokens");
    assert.equal(rejected(base({ stop: [1] })).param, "stop");
    assert.equal(rejected({ messages: [user("x")] }).param, "model");
  });

  test("fields that change the answer are refused unless neutral; harmless ones are listed as ignored", () => {
    for (const [field, value] of Object.entries({
      n: 2,
      logprobs: true,
      top_logprobs: 3,
      logit_bias: { "50256": -100 },
      frequency_penalty: 0.5,
      presence_penalty: 1,
      modalities: ["text", "audio"],
      audio: { voice: "alloy" },
      prediction: { type: "content", content: "x" },
      web_search_options: {},
      functions: [],
      function_call: "auto",
    })) {
      const error = rejected(base({ [field]: value }));
      assert.equal(error.code, "unsupported_parameter", field);
      assert.equal(error.param, field);
    }
    const result = ok(
      base({
        n: 1,
        logprobs: false,
        top_logprobs: 0,
        logit_bias: {},
        frequency_penalty: 0,
        presence_penalty: 0,
        modalities: ["text"],
        seed: 7,
        store: false,
        metadata: { a: "b" },
        prompt_cache_key: "k",
        service_tier: "auto",
        reasoning_effort: "low",
        x_vendor: 1,
        audio: null,
      }),
    );
    assert.deepEqual(result.ignoredFields, [
      "seed",
      "store",
      "metadata",
      "prompt_cache_key",
      "service_tier",
      "reasoning_effort",
      "x_vendor",
    ]);
    assert.equal(result.body.metadata, undefined, "OpenAI metadata is not Anthropic metadata");
  });

  test("Anthropic-native top_k and thinking pass through (route params)", () => {
    const { body } = ok(base({ top_k: 40, thinking: { type: "enabled", budget_tokens: 2048 } }));
    assert.equal(body.top_k, 40);
    assert.deepEqual(body.thinking, { type: "enabled", budget_tokens: 2048 });
  });
});

describe("prompt-cache breakpoints", () => {
  const body = base({
    messages: [{ role: "system", content: "A" }, { role: "system", content: "B" }, user("Hi")],
    tools: [weather, time],
  });

  test("on: the last system block and the last tool are marked ephemeral", () => {
    const result = ok(body, { cacheBreakpoints: true }).body;
    assert.deepEqual(result.system, [
      { type: "text", text: "A" },
      { type: "text", text: "B", cache_control: { type: "ephemeral" } },
    ]);
    assert.equal(result.tools?.[0]?.cache_control, undefined);
    assert.deepEqual(result.tools?.[1]?.cache_control, { type: "ephemeral" });
  });

  test("off (the default): nothing is marked; no system or tools: nothing to mark", () => {
    assert.ok(!JSON.stringify(ok(body).body).includes("cache_control"));
    assert.ok(!JSON.stringify(ok(base(), { cacheBreakpoints: true }).body).includes("cache_control"));
  });
});
