/**
 * @module test/translate/openai-to-anthropic-request.test
 * OpenAI chat requests → Anthropic Messages requests, the conversation: system/developer messages, turns,
 * tool calls and results, content parts (images, files), and the clear errors for what Anthropic cannot take.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type OpenAiToAnthropicRequestOptions,
  openAiToAnthropicRequest,
} from "../../src/translate/openai-to-anthropic-request.ts";
import { type TranslationError, toGatewayError } from "../../src/translate/translation-result.ts";

type Json = Record<string, unknown>;
const user = (content: unknown): Json => ({ role: "user", content });
const base = (extra: Json = {}): Json => ({ model: "claude-x", messages: [user("Hi")], ...extra });

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
const toolCall = (id: string, name: string, args: string) => ({
  id,
  type: "function",
  function: { name, arguments: args },
});

describe("messages", () => {
  test("system and developer messages join the system prompt in order, wherever they stand", () => {
    const { body } = ok({
      model: "m",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "developer", content: [{ type: "text", text: "Use metric units." }] },
        user("Hi"),
        { role: "system", content: "Late rule." },
      ],
    });
    assert.deepEqual(body.system, [
      { type: "text", text: "Be brief." },
      { type: "text", text: "Use metric units." },
      { type: "text", text: "Late rule." },
    ]);
    assert.deepEqual(body.messages, [{ role: "user", content: [{ type: "text", text: "Hi" }] }]);
  });

  test("consecutive same-role turns merge; empty text is dropped", () => {
    const { body } = ok({
      model: "m",
      messages: [
        user("a"),
        user([
          { type: "text", text: "b" },
          { type: "text", text: "" },
        ]),
        { role: "assistant", content: "c" },
        { role: "assistant", content: null },
        user(""),
      ],
    });
    assert.deepEqual(body.messages, [
      {
        role: "user",
        content: [
          { type: "text", text: "a" },
          { type: "text", text: "b" },
        ],
      },
      { role: "assistant", content: [{ type: "text", text: "c" }] },
    ]);
  });

  test("assistant tool calls become tool_use blocks and tool messages tool_result blocks of one user turn", () => {
    const { body } = ok({
      model: "m",
      messages: [
        user("Weather and time in Paris?"),
        {
          role: "assistant",
          content: "Checking.",
          tool_calls: [
            toolCall("call_1", "get_weather", '{"city":"Paris"}'),
            toolCall("call_2", "get_time", ""),
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "18C" },
        { role: "tool", tool_call_id: "call_2", content: [{ type: "text", text: "failed" }], is_error: true },
        user("Thanks"),
      ],
    });
    assert.deepEqual(body.messages.slice(1), [
      {
        role: "assistant",
        content: [
          { type: "text", text: "Checking." },
          { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Paris" } },
          { type: "tool_use", id: "call_2", name: "get_time", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "call_1", content: "18C" },
          {
            type: "tool_result",
            tool_use_id: "call_2",
            content: [{ type: "text", text: "failed" }],
            is_error: true,
          },
          { type: "text", text: "Thanks" },
        ],
      },
    ]);
  });

  test("a tool result for an unknown tool call id is refused", () => {
    const error = rejected({
      model: "m",
      messages: [user("x"), { role: "tool", tool_call_id: "call_nope", content: "1" }],
    });
    assert.equal(error.code, "unknown_tool_call");
    assert.equal(error.param, "messages[1].tool_call_id");
    const gateway = toGatewayError(error, "anthropic");
    assert.equal(gateway.status, 400);
    assert.equal(gateway.type, "invalid_request");
    assert.equal(gateway.code, "unknown_tool_call");
    assert.equal(gateway.provider, "anthropic");
  });

  test("tool call arguments that are not a JSON object are refused with their path", () => {
    for (const args of ["{bad", "[1,2]", "3"]) {
      const error = rejected({
        model: "m",
        messages: [user("x"), { role: "assistant", tool_calls: [toolCall("c", "f", args)] }],
      });
      assert.equal(error.code, "invalid_value");
      assert.equal(error.param, "messages[1].tool_calls[0].function.arguments");
    }
  });

  test("an empty message list, or only system messages, is refused", () => {
    assert.equal(rejected({ model: "m", messages: [] }).param, "messages");
    assert.equal(rejected({ model: "m" }).param, "messages");
    assert.equal(rejected({ model: "m", messages: [{ role: "system", content: "x" }] }).param, "messages");
    assert.equal(
      rejected({ model: "m", messages: [{ role: "function", name: "f", content: "x" }] }).code,
      "unsupported_parameter",
    );
    assert.equal(
      rejected({ model: "m", messages: [{ role: "robot", content: "x" }] }).param,
      "messages[0].role",
    );
    assert.equal(rejected("not an object").code, "invalid_value");
  });
});

describe("content parts", () => {
  test("images: data URLs become base64 sources, http(s) URLs url sources; detail is dropped", () => {
    const { body } = ok(
      base({
        messages: [
          user([
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=", detail: "high" } },
            { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
          ]),
        ],
      }),
    );
    assert.deepEqual(body.messages[0]?.content, [
      { type: "text", text: "What is this?" },
      { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
      { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
    ]);
  });

  test("a PDF file part becomes a document block", () => {
    const { body } = ok(
      base({
        messages: [
          user([
            { type: "file", file: { filename: "a.pdf", file_data: "data:application/pdf;base64,JVBERi0=" } },
          ]),
        ],
      }),
    );
    assert.deepEqual(body.messages[0]?.content, [
      {
        type: "document",
        source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" },
        title: "a.pdf",
      },
    ]);
  });

  test("what Anthropic cannot take is refused, naming the part", () => {
    const cases: [unknown, string][] = [
      [{ type: "image_url", image_url: { url: "data:image/bmp;base64,Qk0=" } }, "unsupported_parameter"],
      [{ type: "image_url", image_url: { url: "data:image/png,rawbytes" } }, "unsupported_parameter"],
      [{ type: "image_url", image_url: { url: "ftp://example.com/a.png" } }, "invalid_value"],
      [{ type: "image_url", image_url: {} }, "invalid_value"],
      [{ type: "input_audio", input_audio: { data: "AAA", format: "wav" } }, "unsupported_parameter"],
      [{ type: "file", file: { file_id: "file-123" } }, "unsupported_parameter"],
      [{ type: "file", file: { file_data: "data:text/csv;base64,YQ==" } }, "unsupported_parameter"],
      [{ type: "hologram" }, "invalid_value"],
    ];
    for (const [part, code] of cases) {
      const error = rejected(base({ messages: [user([{ type: "text", text: "x" }, part])] }));
      assert.equal(error.code, code, JSON.stringify(part));
      assert.match(error.param ?? "", /^messages\[0\]\.content\[1\]/);
    }
  });
});
