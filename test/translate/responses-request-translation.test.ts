/**
 * @module test/translate/responses-request-translation.test
 * A Responses request → a chat-completions request on its own: the mapping of input items, tools, formats
 * and sampling fields, the refusals of what a stateless translation cannot honour (with `param`), and the
 * request contract checked before routing.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { GatewayError } from "../../src/errors/gateway-error.ts";
import { responsesToChatRequest } from "../../src/translate/responses-to-chat-request.ts";
import { checkResponsesRequest } from "../../src/wire/openai/check-responses-request.ts";

function translated(body: Record<string, unknown>, maxTokensField?: "max_tokens") {
  const result = responsesToChatRequest(body, {
    model: "up-model",
    ...(maxTokensField ? { maxTokensField } : {}),
  });
  assert.ok(result.ok, result.ok ? "" : result.error.message);
  return result.value.body;
}

function refused(body: Record<string, unknown>) {
  const result = responsesToChatRequest(body, { model: "up-model" });
  assert.equal(result.ok, false, "refused");
  return result.ok ? assert.fail() : result.error;
}

const weatherTool = {
  type: "function",
  name: "get_weather",
  description: "Weather by city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: true,
};

describe("responsesToChatRequest", () => {
  test("a string input with instructions: a system message first, then the user's", () => {
    const body = translated({ model: "agent", instructions: "Be brief.", input: "Hello", stream: true });
    assert.deepEqual(body, {
      model: "up-model",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello" },
      ],
      stream: true,
    });
  });

  test("items: parts, images, developer as system, function calls grouped, outputs as tool messages", () => {
    const body = translated({
      model: "agent",
      input: [
        { role: "developer", content: "Use tools." },
        {
          type: "message",
          role: "user",
          content: [
            { type: "input_text", text: "What is here?" },
            { type: "input_image", image_url: "https://example.com/a.png", detail: "low" },
          ],
        },
        {
          type: "message",
          role: "assistant",
          content: [{ type: "output_text", text: "Checking.", annotations: [] }],
        },
        { type: "function_call", call_id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' },
        { type: "function_call", call_id: "call_2", name: "get_weather", arguments: '{"city":"Tokyo"}' },
        { type: "function_call_output", call_id: "call_1", output: "sunny" },
        { type: "function_call_output", call_id: "call_2", output: [{ type: "input_text", text: "rain" }] },
        { type: "reasoning", id: "rs_1", summary: [] },
      ],
    });
    assert.deepEqual(body.messages, [
      { role: "system", content: "Use tools." },
      {
        role: "user",
        content: [
          { type: "text", text: "What is here?" },
          { type: "image_url", image_url: { url: "https://example.com/a.png", detail: "low" } },
        ],
      },
      {
        role: "assistant",
        content: "Checking.",
        tool_calls: [
          {
            id: "call_1",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Paris"}' },
          },
          {
            id: "call_2",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Tokyo"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: "sunny" },
      { role: "tool", tool_call_id: "call_2", content: "rain" },
    ]);
  });

  test("tools, tool_choice, text.format, max_output_tokens, reasoning and sampling fields", () => {
    const body = translated({
      model: "agent",
      input: "x",
      tools: [weatherTool],
      tool_choice: { type: "function", name: "get_weather" },
      text: { format: { type: "json_schema", name: "answer", schema: { type: "object" }, strict: true } },
      max_output_tokens: 64,
      reasoning: { effort: "low" },
      temperature: 0.5,
      top_p: 0.9,
      parallel_tool_calls: false,
      user: "u1",
      metadata: { app: "notes" },
    });
    assert.deepEqual(body.tools, [
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Weather by city",
          parameters: weatherTool.parameters,
          strict: true,
        },
      },
    ]);
    assert.deepEqual(body.tool_choice, { type: "function", function: { name: "get_weather" } });
    assert.deepEqual(body.response_format, {
      type: "json_schema",
      json_schema: { name: "answer", schema: { type: "object" }, strict: true },
    });
    assert.equal(body.max_completion_tokens, 64);
    assert.equal(body.reasoning_effort, "low");
    assert.equal(body.temperature, 0.5);
    assert.equal(body.top_p, 0.9);
    assert.equal(body.parallel_tool_calls, false);
    assert.equal(body.user, "u1");
    assert.equal(body.metadata, undefined, "metadata is not sent upstream");
    assert.equal(translated({ input: "x", max_output_tokens: 32 }, "max_tokens").max_tokens, 32);
    assert.deepEqual(translated({ input: "x", text: { format: { type: "json_object" } } }).response_format, {
      type: "json_object",
    });
    assert.equal(translated({ input: "x", text: { format: { type: "text" } } }).response_format, undefined);
    const toolless = translated({ input: "x", tool_choice: "auto", parallel_tool_calls: true, tools: [] });
    assert.deepEqual(
      [toolless.tools, toolless.tool_choice, toolless.parallel_tool_calls],
      [undefined, undefined, undefined],
      "without tools, tool_choice and parallel_tool_calls are not sent (chat hosts refuse them there)",
    );
  });

  test("what a stateless translation cannot honour is refused with the field at fault", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ input: "x", previous_response_id: "resp_1" }, "previous_response_id"],
      [{ input: "x", store: true }, "store"],
      [{ input: "x", conversation: "conv_1" }, "conversation"],
      [{ input: "x", background: true }, "background"],
      [{ input: "x", prompt: { id: "pmpt_1" } }, "prompt"],
      [{ input: "x", tools: [weatherTool, { type: "web_search" }] }, "tools[1].type"],
      [
        { input: [{ role: "user", content: [{ type: "input_file", file_id: "f" }] }] },
        "input[0].content[0].type",
      ],
      [{ input: [{ role: "user", content: [{ type: "input_audio" }] }] }, "input[0].content[0].type"],
      [
        { input: [{ role: "user", content: [{ type: "input_image", file_id: "f" }] }] },
        "input[0].content[0].image_url",
      ],
      [{ input: [{ type: "item_reference", id: "msg_1" }] }, "input[0].type"],
      [
        {
          input: [
            { role: "system", content: [{ type: "input_image", image_url: "https://example.com/a.png" }] },
          ],
        },
        "input[0].content[0].type",
      ],
      [{ input: [{ type: "web_search_call", id: "ws_1" }] }, "input[0].type"],
      [{ input: "x", tool_choice: { type: "web_search" } }, "tool_choice"],
      [{ input: "x", text: { format: { type: "grammar" } } }, "text.format.type"],
    ];
    for (const [body, param] of cases) {
      const error = refused(body);
      assert.equal(error.param, param, JSON.stringify(body));
      assert.ok(error.message.length > 20, "the message says why");
    }
    assert.ok(translated({ input: "x", store: false }), "store: false is stateless already");
    assert.match(refused({ input: "x", store: true }).message, /stateless/);
  });
});

describe("checkResponsesRequest", () => {
  test("spec-forbidden shapes are refused with param; unknown fields pass", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ model: "m", input: 5 }, "input"],
      [{ model: "m", input: ["x"] }, "input[0]"],
      [{ model: "m", input: [{ role: "user", content: 3 }] }, "input[0].content"],
      [{ model: "m", input: "x", tools: {} }, "tools"],
      [{ model: "m", input: "x", tools: [{ name: "f" }] }, "tools[0].type"],
      [{ model: "m", input: [{ role: "user" }] }, "input[0].content"],
      [{ model: "m", input: [{ type: 3 }] }, "input[0].type"],
      [{ model: "m", input: "x", tool_choice: 1 }, "tool_choice"],
      [{ model: "m", input: "x", stream: "yes" }, "stream"],
      [{ model: "m", input: "x", temperature: "hot" }, "temperature"],
      [{ model: "m", input: "x", max_output_tokens: 20.5 }, "max_output_tokens"],
      [{ model: "m" }, "input"],
    ];
    for (const [body, param] of cases) {
      const error = checkResponsesRequest(body);
      assert.ok(error instanceof GatewayError, JSON.stringify(body));
      assert.equal(error.type, "invalid_request");
      assert.equal(error.code, "invalid_value");
      assert.equal(error.param, param, JSON.stringify(body));
    }
    assert.equal(
      checkResponsesRequest({ model: "m", input: "x", future_field: { a: 1 }, stream: null }),
      null,
    );
  });
});
