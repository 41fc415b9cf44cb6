/**
 * @module test/translate/responses-answer-translation.test
 * Chat answers → the Responses API on their own: a chat completion → a Response, recorded chat streams →
 * typed events in the spec's order; every Response and event validated against OpenAI's published schemas.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { GatewayError } from "../../src/errors/gateway-error.ts";
import { createChatToResponsesStream } from "../../src/translate/chat-chunks-to-responses-events.ts";
import { chatToResponsesResponse } from "../../src/translate/chat-to-responses-response.ts";
import type { ResponsesContext } from "../../src/translate/responses-context.ts";
import {
  assertFailedEnd,
  assertValidResponse,
  assertValidResponsesStream,
} from "../support/openai-schema.ts";

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/openai/${name}`, import.meta.url), "utf8");

function context(request: Record<string, unknown> = { model: "agent", input: "hi" }): ResponsesContext {
  return { id: "resp_test1", createdAt: 1_741_570_000, model: "agent", request };
}

const weatherTool = {
  type: "function",
  name: "get_weather",
  description: "Weather by city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: true,
};

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

  test("a provider error mid-stream ends with one `error` event, then `response.failed`", () => {
    const { events, failure } = runStream(fixture("error-midway.sse"));
    const { error: last, response } = assertFailedEnd(events as Record<string, unknown>[]);
    assert.equal(last.type, "error");
    assert.equal(response.error.code, "server_error", "an overload is no ResponseErrorCode: server_error");
    assert.ok((response.output as unknown[]).length > 0, "the output so far");
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
    const { error: last } = assertFailedEnd(events as Record<string, unknown>[]);
    assert.equal(last.type, "error");
    assert.equal(last.code, "body_timeout");
    const { events: truncated } = runStream(cut);
    assert.equal(assertFailedEnd(truncated as Record<string, unknown>[]).error.code, "stream_truncated");
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
    const { error: last, response } = assertFailedEnd(events);
    assert.equal(last.type, "error");
    assert.equal(last.code, "response_too_large");
    assert.deepEqual(response.output, [], "output past the cap is not sent again");
    assert.equal(events.filter((event) => event.type === "error").length, 1);
  });
});
