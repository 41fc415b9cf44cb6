/**
 * @module test/translate/responses-translation.test
 * The Responses ⇄ Chat Completions translators on their own: request mapping and refusals (with `param`),
 * a chat completion → a Response, recorded chat streams → typed events; every Response and event validated
 * against OpenAI's published schemas.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { GatewayError } from "../../src/errors/gateway-error.ts";
import { createChatToResponsesStream } from "../../src/translate/chat-chunks-to-responses-events.ts";
import { chatToResponsesResponse } from "../../src/translate/chat-to-responses-response.ts";
import type { ResponsesContext } from "../../src/translate/responses-context.ts";
import { responsesToChatRequest } from "../../src/translate/responses-to-chat-request.ts";
import { checkResponsesRequest } from "../../src/wire/openai/check-responses-request.ts";
import { assertValidResponse, assertValidResponsesStream } from "../support/openai-schema.ts";

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/openai/${name}`, import.meta.url), "utf8");

function context(request: Record<string, unknown> = { model: "agent", input: "hi" }): ResponsesContext {
  return { id: "resp_test1", createdAt: 1_741_570_000, model: "agent", request };
}

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
      [{ model: 5, input: "x" }, "model"],
      [{ model: "m", input: ["x"] }, "input[0]"],
      [{ model: "m", input: [{ role: "user", content: 3 }] }, "input[0].content"],
      [{ model: "m", input: "x", tools: {} }, "tools"],
      [{ model: "m", input: "x", tools: [{ name: "f" }] }, "tools[0]"],
      [{ model: "m", input: "x", stream: "yes" }, "stream"],
      [{ model: "m", input: "x", temperature: "hot" }, "temperature"],
      [{ model: "m", input: "x", max_output_tokens: 8 }, "max_output_tokens"],
      [{ model: "m", input: "x", max_output_tokens: 20.5 }, "max_output_tokens"],
      [{ model: "m" }, "input"],
    ];
    for (const [body, param] of cases) {
      const error = checkResponsesRequest(body);
      assert.ok(error instanceof GatewayError, JSON.stringify(body));
      assert.equal(error.type, "invalid_request");
      assert.equal(error.param, param, JSON.stringify(body));
    }
    assert.equal(
      checkResponsesRequest({ model: "m", input: "x", future_field: { a: 1 }, stream: null }),
      null,
    );
  });
});

describe("chatToResponsesResponse", () => {
  test("text and tool calls become a message and function_call items; the Response validates", () => {
    const request = { model: "agent", input: "x", tools: [weatherTool], instructions: "Be brief." };
    const result = chatToResponsesResponse(
      {
        id: "chatcmpl-1",
        object: "chat.completion",
        created: 1,
        model: "up-model",
        choices: [
          {
            index: 0,
            finish_reason: "tool_calls",
            message: {
              role: "assistant",
              content: "Checking.",
              tool_calls: [
                { id: "call_9", type: "function", function: { name: "get_weather", arguments: "{}" } },
              ],
            },
          },
        ],
        usage: {
          prompt_tokens: 7,
          completion_tokens: 3,
          total_tokens: 10,
          prompt_tokens_details: { cached_tokens: 2 },
        },
      },
      context(request),
    );
    assert.ok(result.ok);
    const response = result.value;
    assertValidResponse(response);
    assert.equal(response.id, "resp_test1");
    assert.equal(response.status, "completed");
    assert.equal(response.model, "agent");
    assert.equal(response.instructions, "Be brief.");
    assert.deepEqual(response.output, [
      {
        id: "msg_test1_0",
        type: "message",
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: "Checking.", annotations: [], logprobs: [] }],
      },
      {
        id: "fc_test1_1",
        type: "function_call",
        status: "completed",
        call_id: "call_9",
        name: "get_weather",
        arguments: "{}",
      },
    ]);
    assert.deepEqual(response.usage, {
      input_tokens: 7,
      input_tokens_details: { cached_tokens: 2, cache_write_tokens: 0 },
      output_tokens: 3,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 10,
    });
  });

  test("`length` is incomplete with max_output_tokens; a refusal is a refusal part; no usage is left out", () => {
    const result = chatToResponsesResponse(
      {
        choices: [
          {
            index: 0,
            finish_reason: "length",
            message: { role: "assistant", content: "Cut", refusal: "No." },
          },
        ],
      },
      context(),
    );
    assert.ok(result.ok);
    assertValidResponse(result.value);
    assert.equal(result.value.status, "incomplete");
    assert.deepEqual(result.value.incomplete_details, { reason: "max_output_tokens" });
    assert.equal(result.value.usage, undefined);
    const [message] = result.value.output as Record<string, unknown>[];
    assert.deepEqual((message!.content as unknown[])[1], { type: "refusal", refusal: "No." });
  });

  test("an answer without choices is the provider's fault", () => {
    const result = chatToResponsesResponse({ object: "chat.completion" }, context());
    assert.equal(result.ok, false);
    assert.equal(result.ok ? "" : result.error.code, "invalid_upstream_response");
  });
});

function runStream(text: string, options: { chunk?: number; failure?: GatewayError } = {}) {
  const usages: unknown[] = [];
  const translator = createChatToResponsesStream({
    context: context({ model: "agent", input: "x", tools: [weatherTool] }),
    onUsage: (usage, complete) => usages.push({ usage, complete }),
    now: () => 1_741_570_001,
  });
  const size = options.chunk ?? 7;
  let out = "";
  for (let at = 0; at < text.length; at += size) out += translator.push(text.slice(at, at + size)).join("");
  out += translator.end(options.failure).join("");
  return { out, events: assertValidResponsesStream(out), usages, failure: translator.failure?.() ?? null };
}

describe("createChatToResponsesStream", () => {
  test("text then a tool call: the spec's event order, the final Response whole", () => {
    const { events } = runStream(fixture("text-then-tool.sse"));
    const types = events.map((event) => event.type);
    assert.deepEqual(types.slice(0, 5), [
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
    ]);
    const closeText = types.indexOf("response.output_text.done");
    assert.deepEqual(types.slice(closeText, closeText + 4), [
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.output_item.added",
    ]);
    assert.ok(types.includes("response.function_call_arguments.delta"));
    assert.deepEqual(types.slice(-3), [
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const final = events.at(-1)?.response as Record<string, unknown>;
    assertValidResponse(final);
    const output = final.output as Record<string, unknown>[];
    assert.equal(output.length, 2);
    assert.equal(output[0]?.type, "message");
    assert.equal(output[1]?.type, "function_call");
    assert.equal(JSON.parse(String(output[1]?.arguments)).city !== undefined, true);
  });

  test("parallel tool calls by index, each its own item with whole arguments", () => {
    const { events } = runStream(fixture("parallel-tools.sse"), { chunk: 13 });
    const final = events.at(-1)?.response as Record<string, unknown>;
    assert.equal(events.at(-1)?.type, "response.completed");
    const calls = (final.output as Record<string, unknown>[]).filter((item) => item.type === "function_call");
    assert.ok(calls.length >= 2, `${calls.length} calls`);
    for (const call of calls) assert.doesNotThrow(() => JSON.parse(String(call.arguments)));
    const doneArgs = events.filter((event) => event.type === "response.function_call_arguments.done");
    assert.deepEqual(
      doneArgs.map((event) => event.arguments),
      calls.map((call) => call.arguments),
    );
  });

  test("`length` ends with response.incomplete", () => {
    const { events } = runStream(fixture("length.sse"));
    const last = events.at(-1) as Record<string, unknown>;
    assert.equal(last.type, "response.incomplete");
    assert.deepEqual((last.response as Record<string, unknown>).incomplete_details, {
      reason: "max_output_tokens",
    });
  });

  test("usage reported in the stream reaches the Response and the meter", () => {
    const { events, usages } = runStream(fixture("text-cache-usage.sse"));
    const final = events.at(-1)?.response as Record<string, unknown>;
    const usage = final.usage as Record<string, unknown>;
    assert.ok(typeof usage.input_tokens === "number" && usage.input_tokens > 0);
    assert.equal(usages.length, 1);
    assert.equal((usages[0] as { complete: boolean }).complete, true);
  });

  test("a provider error mid-stream ends with one `error` event", () => {
    const { events, failure } = runStream(fixture("error-midway.sse"));
    const last = events.at(-1) as Record<string, unknown>;
    assert.equal(last.type, "error");
    assert.equal(typeof last.message, "string");
    assert.ok(failure instanceof GatewayError);
    assert.equal(events.filter((event) => event.type === "error").length, 1);
    assert.equal(
      events.some((event) => event.type === "response.completed"),
      false,
    );
  });

  test("a stream cut before its finish ends with an error naming the cause", () => {
    const text = fixture("text-then-tool.sse");
    const cut = text.slice(0, text.indexOf("\n\n", 600) + 2);
    const cause = new GatewayError("upstream_timeout", { code: "body_timeout" });
    const { events } = runStream(cut, { failure: cause });
    const last = events.at(-1) as Record<string, unknown>;
    assert.equal(last.type, "error");
    assert.equal(last.code, "body_timeout");
    const { events: truncated } = runStream(cut);
    assert.equal((truncated.at(-1) as Record<string, unknown>).code, "stream_truncated");
  });

  test("held text past the cap fails cleanly", () => {
    const translator = createChatToResponsesStream({ context: context(), maxHeldBytes: 10 });
    const chunk = (content: string) =>
      `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
    const out = [
      ...translator.push(chunk("12345678")),
      ...translator.push(chunk("12345678")),
      ...translator.push(chunk("more")),
    ];
    const events = assertValidResponsesStream(out.join("") + translator.end().join(""));
    const last = events.at(-1) as Record<string, unknown>;
    assert.equal(last.type, "error");
    assert.equal(last.code, "response_too_large");
    assert.equal(events.filter((event) => event.type === "error").length, 1);
  });
});
