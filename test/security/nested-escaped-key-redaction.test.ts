/**
 * @module test/security/nested-escaped-key-redaction
 * A tool call's arguments are JSON inside a JSON string, relayed by the translators verbatim: a key in play
 * `\u`-escaped inside them (`\\u0073k-...` in the gateway's own serialization) is redacted on every
 * translated path, streamed and whole, so a client that parses the arguments never gets the key.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, describe, test } from "node:test";
import type { RecordedRequest } from "../peers/fake-openai-provider.ts";
import {
  ANTHROPIC_FEATURES,
  ANTHROPIC_OPERATOR_KEY,
  type AnthropicGateway,
  type AnthropicGatewayUser,
  anthropicHeaders,
  postRaw,
  startAnthropicGateway,
} from "../support/anthropic-gateway.ts";
import { OPERATOR_KEYS } from "../support/model-gateway.ts";

/** The key with its first character `\u`-escaped, as it reads inside a JSON string. */
const escapedFirst = (key: string) => `\\u${key.charCodeAt(0).toString(16).padStart(4, "0")}${key.slice(1)}`;
/** Tool arguments (JSON text) quoting the key behind a `\u` escape: `{"key":"\u0073k-..."}`. */
const argumentsQuoting = (key: string) => `{"key":"${escapedFirst(key)}"}`;

/** One level of JSON string escapes decoded (`\uXXXX`, `\"`, `\\`, `\/`, ...). */
const unescapeOnce = (text: string) =>
  text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_match, escaped: string) =>
    escaped.length === 5
      ? String.fromCharCode(Number.parseInt(escaped.slice(1), 16))
      : (({ n: "\n", r: "\r", t: "\t", b: "\b", f: "\f" } as Record<string, string>)[escaped] ?? escaped),
  );

/** Whether the key reads in the client's text once its JSON (and the JSON inside its strings) is decoded. */
function leaks(text: string, key: string): boolean {
  let decoded = text;
  for (let level = 0; level < 3; level++) {
    if (decoded.includes(key)) return true;
    decoded = unescapeOnce(decoded);
  }
  return decoded.includes(key);
}

const sse = (data: unknown, event?: string): string =>
  `${event === undefined ? "" : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`;

const anthropicToolStream = (partialJson: string): string =>
  [
    sse(
      {
        type: "message_start",
        message: {
          id: "msg_1",
          type: "message",
          role: "assistant",
          model: "claude-fake-1",
          content: [],
          stop_reason: null,
          usage: { input_tokens: 1, output_tokens: 0 },
        },
      },
      "message_start",
    ),
    sse(
      {
        type: "content_block_start",
        index: 0,
        content_block: { type: "tool_use", id: "toolu_1", name: "f", input: {} },
      },
      "content_block_start",
    ),
    sse(
      {
        type: "content_block_delta",
        index: 0,
        delta: { type: "input_json_delta", partial_json: partialJson },
      },
      "content_block_delta",
    ),
    sse({ type: "content_block_stop", index: 0 }, "content_block_stop"),
    sse(
      {
        type: "message_delta",
        delta: { stop_reason: "tool_use", stop_sequence: null },
        usage: { output_tokens: 3 },
      },
      "message_delta",
    ),
    sse({ type: "message_stop" }, "message_stop"),
  ].join("");

const CHUNK = { id: "c1", object: "chat.completion.chunk", created: 1, model: "m" };
const chatToolStream = (toolArguments: string): string =>
  [
    sse({
      ...CHUNK,
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }],
    }),
    sse({
      ...CHUNK,
      choices: [
        {
          index: 0,
          delta: {
            tool_calls: [
              { index: 0, id: "call_1", type: "function", function: { name: "f", arguments: toolArguments } },
            ],
          },
          finish_reason: null,
        },
      ],
    }),
    sse({ ...CHUNK, choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] }),
    "data: [DONE]\n\n",
  ].join("");

const TOOLS_CHAT = [{ type: "function", function: { name: "f", parameters: { type: "object" } } }];
const TOOLS_MESSAGES = [{ name: "f", input_schema: { type: "object" } }];
const TOOLS_RESPONSES = [{ type: "function", name: "f", parameters: { type: "object" } }];

describe("a key \\u-escaped inside tool-call arguments is redacted on translated paths", () => {
  let env: AnthropicGateway;
  before(async () => {
    env = await startAnthropicGateway({
      features: {
        ...ANTHROPIC_FEATURES,
        orchat: {
          routes: [{ provider: "openrouter", model: "openai/gpt-4.1-mini" }],
          operatorFallback: true,
        },
      },
    });
  });
  after(() => env.close());

  const respond = (fake: "openai" | "openrouter" | "anthropic", body: string) => {
    const handler = (_request: RecordedRequest, response: ServerResponse) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.end(body);
    };
    if (fake === "anthropic") env.anthropic.respondNext(handler);
    else env.fakes[fake].respondNext(handler);
  };
  const check = (raw: { status: number; text: string }, key: string) => {
    assert.equal(raw.status, 200, raw.text.slice(0, 400));
    assert.equal(leaks(raw.text, key), false, `the key reaches the client:\n${raw.text.slice(0, 2000)}`);
  };

  test("the fixture: a client parsing the arguments gets the key", () => {
    const args = JSON.parse(argumentsQuoting(ANTHROPIC_OPERATOR_KEY)) as { key: string };
    assert.equal(args.key, ANTHROPIC_OPERATOR_KEY);
    assert.equal(leaks(JSON.stringify({ arguments: argumentsQuoting("sk-x-0123") }), "sk-x-0123"), true);
  });

  test("chat on Anthropic, streamed: the operator key in a tool's input_json_delta", async () => {
    const user: AnthropicGatewayUser = await env.user();
    respond("anthropic", anthropicToolStream(argumentsQuoting(ANTHROPIC_OPERATOR_KEY)));
    const raw = await postRaw(
      env,
      "/v1/chat/completions",
      { authorization: `Bearer ${user.token}`, ...user.headers },
      { model: "claude", stream: true, tools: TOOLS_CHAT, messages: [{ role: "user", content: "hi" }] },
    );
    check(raw, ANTHROPIC_OPERATOR_KEY);
  });

  test("messages on OpenAI, streamed: the operator key in a tool call's arguments", async () => {
    const user = await env.user();
    respond("openai", chatToolStream(argumentsQuoting(OPERATOR_KEYS.openai)));
    const raw = await postRaw(env, "/v1/messages", anthropicHeaders(user), {
      model: "gpt",
      max_tokens: 50,
      stream: true,
      tools: TOOLS_MESSAGES,
      messages: [{ role: "user", content: "hi" }],
    });
    check(raw, OPERATOR_KEYS.openai);
  });

  test("Responses on chat, streamed: the operator key in a tool call's arguments", async () => {
    const user = await env.user();
    respond("openrouter", chatToolStream(argumentsQuoting(OPERATOR_KEYS.openrouter)));
    const raw = await postRaw(
      env,
      "/v1/responses",
      { authorization: `Bearer ${user.token}`, ...user.headers },
      { model: "orchat", stream: true, tools: TOOLS_RESPONSES, input: "hi" },
    );
    check(raw, OPERATOR_KEYS.openrouter);
  });

  test("Responses on Anthropic, streamed: the operator key in a tool's input_json_delta", async () => {
    const user = await env.user();
    respond("anthropic", anthropicToolStream(argumentsQuoting(ANTHROPIC_OPERATOR_KEY)));
    const raw = await postRaw(
      env,
      "/v1/responses",
      { authorization: `Bearer ${user.token}`, ...user.headers },
      { model: "claude", stream: true, tools: TOOLS_RESPONSES, input: "hi" },
    );
    check(raw, ANTHROPIC_OPERATOR_KEY);
  });

  test("control, pass-through chat on OpenAI, streamed: the same arguments", async () => {
    const user = await env.user();
    respond("openai", chatToolStream(argumentsQuoting(OPERATOR_KEYS.openai)));
    const raw = await postRaw(
      env,
      "/v1/chat/completions",
      { authorization: `Bearer ${user.token}`, ...user.headers },
      { model: "gpt", stream: true, tools: TOOLS_CHAT, messages: [{ role: "user", content: "hi" }] },
    );
    check(raw, OPERATOR_KEYS.openai);
  });

  test("Responses on chat, whole: the operator key in a tool call's arguments", async () => {
    const user = await env.user();
    const key = OPERATOR_KEYS.openrouter;
    env.fakes.openrouter.respondNext((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(
        JSON.stringify({
          id: "c1",
          object: "chat.completion",
          created: 1,
          model: "m",
          choices: [
            {
              index: 0,
              message: {
                role: "assistant",
                content: null,
                tool_calls: [
                  {
                    id: "call_1",
                    type: "function",
                    function: { name: "f", arguments: argumentsQuoting(key) },
                  },
                ],
              },
              finish_reason: "tool_calls",
            },
          ],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
    });
    const raw = await postRaw(
      env,
      "/v1/responses",
      { authorization: `Bearer ${user.token}`, ...user.headers },
      { model: "orchat", stream: false, tools: TOOLS_RESPONSES, input: "hi" },
    );
    check(raw, key);
  });
});
