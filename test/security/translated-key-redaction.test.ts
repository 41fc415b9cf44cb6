/**
 * @module test/security/translated-key-redaction
 * Generated text that quotes a key in play (the route's or the user's BYOK key, raw or masked) is redacted on
 * every translated path too, whole and streamed: chat on Anthropic, messages on OpenAI, Responses on both.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, describe, test } from "node:test";
import type { RecordedRequest } from "../peers/fake-openai-provider.ts";
import {
  ANTHROPIC_FEATURES,
  ANTHROPIC_OPERATOR_KEY,
  ANTHROPIC_USER_KEY,
  type AnthropicGateway,
  type AnthropicGatewayUser,
  anthropicHeaders,
  postRaw,
  startAnthropicGateway,
} from "../support/anthropic-gateway.ts";
import { OPERATOR_KEYS } from "../support/model-gateway.ts";

/** The forms of `key` a provider may echo: raw, and masked as keys/redact-secrets.ts recognises. */
const forms = (key: string): string[] => [
  key,
  `${key.slice(0, 6)}...${key.slice(-4)}`,
  `${key.slice(0, 5)}…${key.slice(-4)}`,
  `****${key.slice(-4)}`,
];

/** The form of `key` the client's text holds (JSON escapes decoded), or null. */
function leaks(text: string, key: string): string | null {
  const decoded = text.replace(/\\u([0-9a-fA-F]{4})/g, (_match, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
  return forms(key).find((form) => decoded.includes(form)) ?? null;
}

const sse = (data: unknown, event?: string): string =>
  `${event === undefined ? "" : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`;

const anthropicStream = (text: string, toolInput: string): string =>
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
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      "content_block_start",
    ),
    sse(
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } },
      "content_block_delta",
    ),
    sse({ type: "content_block_stop", index: 0 }, "content_block_stop"),
    sse(
      {
        type: "content_block_start",
        index: 1,
        content_block: { type: "tool_use", id: "toolu_1", name: "f", input: {} },
      },
      "content_block_start",
    ),
    sse(
      { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: toolInput } },
      "content_block_delta",
    ),
    sse({ type: "content_block_stop", index: 1 }, "content_block_stop"),
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

const anthropicAnswer = (text: string, toolInput: unknown) =>
  JSON.stringify({
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-fake-1",
    content: [
      { type: "text", text },
      { type: "tool_use", id: "toolu_1", name: "f", input: toolInput },
    ],
    stop_reason: "tool_use",
    stop_sequence: null,
    usage: { input_tokens: 1, output_tokens: 1 },
  });

const CHUNK = { id: "c1", object: "chat.completion.chunk", created: 1, model: "m" };
const chatStream = (pieces: readonly string[], toolArguments: string, toolId = "call_1"): string =>
  [
    sse({
      ...CHUNK,
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }],
    }),
    ...pieces.map((piece) =>
      sse({ ...CHUNK, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] }),
    ),
    sse({
      ...CHUNK,
      choices: [
        {
          index: 0,
          delta: {
            tool_calls: [
              { index: 0, id: toolId, type: "function", function: { name: "f", arguments: toolArguments } },
            ],
          },
          finish_reason: null,
        },
      ],
    }),
    sse({ ...CHUNK, choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] }),
    "data: [DONE]\n\n",
  ].join("");

const chatAnswer = (text: string, toolArguments: string) =>
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
          content: text,
          tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: toolArguments } }],
        },
        finish_reason: "tool_calls",
      },
    ],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  });

const TOOLS_CHAT = [{ type: "function", function: { name: "f", parameters: { type: "object" } } }];
const TOOLS_MESSAGES = [{ name: "f", input_schema: { type: "object" } }];
const TOOLS_RESPONSES = [{ type: "function", name: "f", parameters: { type: "object" } }];

describe("keys quoted in generated text on translated paths", () => {
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

  const respond = (
    fake: "openai" | "openrouter" | "anthropic",
    status: number,
    type: string,
    body: string,
  ) => {
    const handler = (_request: RecordedRequest, response: ServerResponse) => {
      response.writeHead(status, { "content-type": type });
      response.end(body);
    };
    if (fake === "anthropic") env.anthropic.respondNext(handler);
    else env.fakes[fake].respondNext(handler);
  };
  const streamType = "text/event-stream";
  const jsonType = "application/json";

  const chatOnAnthropic = (user: AnthropicGatewayUser, model: string, stream: boolean) =>
    postRaw(
      env,
      "/v1/chat/completions",
      { authorization: `Bearer ${user.token}`, ...user.headers },
      { model, stream, tools: TOOLS_CHAT, messages: [{ role: "user", content: "hi" }] },
    );
  const messagesOnOpenAi = (user: AnthropicGatewayUser, stream: boolean) =>
    postRaw(env, "/v1/messages", anthropicHeaders(user), {
      model: "gpt",
      max_tokens: 50,
      stream,
      tools: TOOLS_MESSAGES,
      messages: [{ role: "user", content: "hi" }],
    });
  const responses = (user: AnthropicGatewayUser, model: string, stream: boolean) =>
    postRaw(
      env,
      "/v1/responses",
      { authorization: `Bearer ${user.token}`, ...user.headers },
      { model, stream, tools: TOOLS_RESPONSES, input: "hi" },
    );

  const check = (raw: { status: number; text: string }, key: string) => {
    assert.equal(raw.status, 200, raw.text.slice(0, 400));
    assert.equal(leaks(raw.text, key), null, raw.text.slice(0, 1500));
    assert.ok(raw.text.includes("[redacted]"), raw.text.slice(0, 1500));
  };

  for (const form of forms(ANTHROPIC_OPERATOR_KEY).slice(0, 3)) {
    const say = `Your key is ${form}, keep it safe`;
    const args = JSON.stringify({ key: form });

    test(`chat on Anthropic, streamed: ${form} in a text delta and a tool argument is redacted`, async () => {
      const user = await env.user();
      respond("anthropic", 200, streamType, anthropicStream(say, args));
      check(await chatOnAnthropic(user, "claude", true), ANTHROPIC_OPERATOR_KEY);
    });

    test(`chat on Anthropic, whole: ${form} in the text and a tool input is redacted`, async () => {
      const user = await env.user();
      respond("anthropic", 200, jsonType, anthropicAnswer(say, { key: form }));
      check(await chatOnAnthropic(user, "claude", false), ANTHROPIC_OPERATOR_KEY);
    });

    test(`Responses on Anthropic, whole: ${form} in the text and a tool input is redacted`, async () => {
      const user = await env.user();
      respond("anthropic", 200, jsonType, anthropicAnswer(say, { key: form }));
      check(await responses(user, "claude", false), ANTHROPIC_OPERATOR_KEY);
    });
  }

  for (const form of forms(OPERATOR_KEYS.openai).slice(0, 3)) {
    const say = `Your key is ${form}, keep it safe`;
    const args = JSON.stringify({ key: form });

    test(`messages on OpenAI, streamed: ${form} in a text delta and a tool argument is redacted`, async () => {
      const user = await env.user();
      respond("openai", 200, streamType, chatStream([say], args));
      check(await messagesOnOpenAi(user, true), OPERATOR_KEYS.openai);
    });

    test(`messages on OpenAI, whole: ${form} in the content and a tool argument is redacted`, async () => {
      const user = await env.user();
      respond("openai", 200, jsonType, chatAnswer(say, args));
      check(await messagesOnOpenAi(user, false), OPERATOR_KEYS.openai);
    });
  }

  for (const form of forms(OPERATOR_KEYS.openrouter).slice(0, 3)) {
    test(`Responses on chat, whole: ${form} in the text and a tool argument is redacted`, async () => {
      const user = await env.user();
      respond("openrouter", 200, jsonType, chatAnswer(`Key: ${form}.`, JSON.stringify({ key: form })));
      check(await responses(user, "orchat", false), OPERATOR_KEYS.openrouter);
    });

    test(`Responses on chat, streamed: ${form} in a tool call's id is redacted`, async () => {
      const user = await env.user();
      respond("openrouter", 200, streamType, chatStream(["hello"], "{}", `call_${form}`));
      check(await responses(user, "orchat", true), OPERATOR_KEYS.openrouter);
    });
  }

  test("Responses on chat, streamed: a key split over two text deltas is redacted from the final Response", async () => {
    const user = await env.user();
    const key = OPERATOR_KEYS.openrouter;
    respond("openrouter", 200, streamType, chatStream([`Key: ${key.slice(0, 5)}`, `${key.slice(5)}.`], "{}"));
    const raw = await responses(user, "orchat", true);
    check(raw, key);
  });

  test("Responses on Anthropic, streamed: a masked key in a tool_use id is redacted", async () => {
    const user = await env.user();
    const masked = forms(ANTHROPIC_OPERATOR_KEY)[1]!;
    respond(
      "anthropic",
      200,
      streamType,
      anthropicStream("hello", "{}").replace("toolu_1", `toolu_${masked}`),
    );
    check(await responses(user, "claude", true), ANTHROPIC_OPERATOR_KEY);
  });

  test("the user's BYOK key, raw and masked, is redacted from a chat stream and answer served by Anthropic", async () => {
    const user = await env.user({ anthropic: ANTHROPIC_USER_KEY });
    const [raw, masked] = forms(ANTHROPIC_USER_KEY);
    respond(
      "anthropic",
      200,
      streamType,
      anthropicStream(`Key ${raw} or ${masked}`, JSON.stringify({ k: masked })),
    );
    check(await chatOnAnthropic(user, "claude_byok", true), ANTHROPIC_USER_KEY);
    respond("anthropic", 200, jsonType, anthropicAnswer(`Key ${raw} or ${masked}`, { k: raw }));
    check(await chatOnAnthropic(user, "claude_byok", false), ANTHROPIC_USER_KEY);
  });

  test("a key the user sent for another provider is redacted from a messages stream served by OpenAI", async () => {
    const user = await env.user({ anthropic: ANTHROPIC_USER_KEY });
    const masked = forms(ANTHROPIC_USER_KEY)[2]!;
    respond("openai", 200, streamType, chatStream([`Key ${masked}`], "{}"));
    check(await messagesOnOpenAi(user, true), ANTHROPIC_USER_KEY);
  });
});
