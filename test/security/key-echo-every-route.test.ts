/**
 * @module test/security/key-echo-every-route
 * A hostile upstream echoes a key in play (whole, masked, `\u`- or `\/`-escaped) in its answer: no route lets
 * it reach the client, translated routes and embeddings included, whole and streamed.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, describe, test } from "node:test";
import type { RecordedRequest } from "../peers/fake-openai-provider.ts";
import {
  ANTHROPIC_FEATURES,
  ANTHROPIC_OPERATOR_KEY,
  type AnthropicGateway,
  anthropicHeaders,
  postRaw,
  startAnthropicGateway,
} from "../support/anthropic-gateway.ts";
import { OPERATOR_KEYS } from "../support/model-gateway.ts";

const KEY = OPERATOR_KEYS.openai;
const MASKED = `${KEY.slice(0, 6)}...${KEY.slice(-4)}`;
/** A BYOK key with `/` in it (base64-style keys have them; parse-byok-headers accepts any printable ASCII). */
const SLASH_KEY = "sk-user/openai/Q1w2E3r4T5y6U7i8/O9pZXq";

const PREFIX = '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m"';
const FIRST = `data: ${PREFIX},"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}\n\n`;
/** A conforming chunk whose content is the raw JSON string body `body` (escapes as given). */
const contentRaw = (body: string) =>
  `data: ${PREFIX},"choices":[{"index":0,"delta":{"content":"${body}"},"finish_reason":null}]}\n\n`;
const LAST = `data: ${PREFIX},"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n`;

/** A conforming chat answer (relayed as received) whose content is the raw JSON string body `body` (escapes as given). */
const chatAnswerRaw = (body: string) =>
  `{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"${body}","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`;

/** The client's text with every JSON string escape decoded (what an SDK hands the app). */
function decoded(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_m, sequence: string) =>
    sequence.length === 5
      ? String.fromCharCode(Number.parseInt(sequence.slice(1), 16))
      : sequence === "n"
        ? "\n"
        : sequence,
  );
}

describe("a key an upstream echoes is redacted on every route", () => {
  let env: AnthropicGateway;
  before(async () => {
    env = await startAnthropicGateway({
      features: {
        ...ANTHROPIC_FEATURES,
        or: { routes: [{ provider: "openrouter", model: "or-model" }], operatorFallback: true },
        embed: {
          needs: ["embeddings"],
          routes: [{ provider: "openai", model: "text-embedding-3-small" }],
          operatorFallback: true,
        },
      },
    });
  });
  after(() => env.close());

  const respondOpenAi = (write: (response: ServerResponse) => void) =>
    env.fakes.openai.respondNext((_request: RecordedRequest, response: ServerResponse) => write(response));

  test("/v1/messages on an OpenAI-compatible route (translated), whole: a masked key in the content is redacted", async () => {
    const user = await env.user();
    respondOpenAi((response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(chatAnswerRaw(`Your key is ${MASKED}.`));
    });
    const raw = await postRaw(env, "/v1/messages", anthropicHeaders(user), {
      model: "gpt",
      max_tokens: 50,
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(raw.status, 200, raw.text.slice(0, 300));
    assert.ok(!decoded(raw.text).includes(MASKED), raw.text);
  });

  test("/v1/messages on an OpenAI-compatible route (translated), streamed: the raw key in a delta is redacted", async () => {
    const user = await env.user();
    respondOpenAi((response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.end(`${FIRST}${contentRaw(`Your key is ${KEY} and ${MASKED}`)}${LAST}`);
    });
    const raw = await postRaw(env, "/v1/messages", anthropicHeaders(user), {
      model: "gpt",
      max_tokens: 50,
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(raw.status, 200, raw.text.slice(0, 300));
    const text = decoded(raw.text);
    assert.ok(!text.includes(KEY) && !text.includes(MASKED), raw.text);
  });

  test("a key with `/` echoed JSON-escaped as `\\/` in a conforming chat chunk is redacted", async () => {
    const user = await env.user({ openai: SLASH_KEY });
    respondOpenAi((response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.end(`${FIRST}${contentRaw(`Your key is ${SLASH_KEY.replaceAll("/", "\\/")}`)}${LAST}`);
    });
    const raw = await postRaw(
      env,
      "/v1/chat/completions",
      { authorization: `Bearer ${user.token}`, ...user.headers },
      { model: "gpt", stream: true, messages: [{ role: "user", content: "hi" }] },
    );
    assert.equal(raw.status, 200, raw.text.slice(0, 300));
    assert.ok(!decoded(raw.text).includes(SLASH_KEY), raw.text);
  });

  test("the same `\\/`-escaped key in a whole chat answer is redacted", async () => {
    const user = await env.user({ openai: SLASH_KEY });
    respondOpenAi((response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(chatAnswerRaw(`Your key is ${SLASH_KEY.replaceAll("/", "\\/")}.`));
    });
    const raw = await postRaw(
      env,
      "/v1/chat/completions",
      { authorization: `Bearer ${user.token}`, ...user.headers },
      { model: "gpt", messages: [{ role: "user", content: "hi" }] },
    );
    assert.equal(raw.status, 200, raw.text.slice(0, 300));
    assert.ok(!decoded(raw.text).includes(SLASH_KEY), raw.text);
  });

  test("/v1/responses pass-through, whole: a `\\u`-escaped key in output text is redacted", async () => {
    const user = await env.user();
    const escaped = `\\u${KEY.charCodeAt(0).toString(16).padStart(4, "0")}${KEY.slice(1)}`;
    respondOpenAi((response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(
        `{"id":"resp_1","object":"response","created_at":1,"status":"completed","model":"m","output":[{"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Your key is ${escaped}","annotations":[]}]}],"usage":{"input_tokens":1,"output_tokens":1,"total_tokens":2}}`,
      );
    });
    const raw = await postRaw(
      env,
      "/v1/responses",
      { authorization: `Bearer ${user.token}` },
      { model: "gpt", input: "hi" },
    );
    assert.equal(raw.status, 200, raw.text.slice(0, 300));
    assert.ok(!decoded(raw.text).includes(KEY), raw.text);
  });

  test("/v1/responses on a Chat Completions route (translated), whole: a masked operator key in the content is redacted", async () => {
    const user = await env.user();
    const orKey = OPERATOR_KEYS.openrouter;
    const masked = `${orKey.slice(0, 6)}...${orKey.slice(-4)}`;
    env.fakes.openrouter.respondNext((_request: RecordedRequest, response: ServerResponse) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(chatAnswerRaw(`Your key is ${masked} (${orKey}).`));
    });
    const raw = await postRaw(
      env,
      "/v1/responses",
      { authorization: `Bearer ${user.token}` },
      { model: "or", input: "hi" },
    );
    assert.equal(raw.status, 200, raw.text.slice(0, 300));
    const text = decoded(raw.text);
    assert.ok(!text.includes(masked) && !text.includes(orKey), raw.text);
  });

  test("/v1/embeddings, whole: the operator key in a string of the answer (model) is redacted", async () => {
    const user = await env.user();
    respondOpenAi((response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(
        JSON.stringify({
          object: "list",
          data: [{ object: "embedding", index: 0, embedding: [0.1, 0.2] }],
          model: `echo ${KEY} ${MASKED}`,
          usage: { prompt_tokens: 1, total_tokens: 1 },
        }),
      );
    });
    const raw = await postRaw(
      env,
      "/v1/embeddings",
      { authorization: `Bearer ${user.token}` },
      { model: "embed", input: "hi" },
    );
    assert.equal(raw.status, 200, raw.text.slice(0, 300));
    const text = decoded(raw.text);
    assert.ok(!text.includes(KEY) && !text.includes(MASKED), raw.text);
  });

  const antMasked = `${ANTHROPIC_OPERATOR_KEY.slice(0, 6)}...${ANTHROPIC_OPERATOR_KEY.slice(-4)}`;
  for (const stream of [false, true]) {
    test(`/v1/chat/completions on an Anthropic route (translated)${stream ? ", streamed" : ", whole"}: the operator key, whole or masked, is redacted`, async () => {
      const user = await env.user();
      const text = `Your key is ${ANTHROPIC_OPERATOR_KEY} (${antMasked}).`;
      env.anthropic.respondNext((_request: RecordedRequest, response: ServerResponse) => {
        if (!stream) {
          response.writeHead(200, { "content-type": "application/json" });
          response.end(
            JSON.stringify({
              id: "msg_1",
              type: "message",
              role: "assistant",
              model: "claude-fake-1",
              content: [{ type: "text", text }],
              stop_reason: "end_turn",
              stop_sequence: null,
              usage: { input_tokens: 1, output_tokens: 1 },
            }),
          );
          return;
        }
        const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
        response.writeHead(200, { "content-type": "text/event-stream" });
        response.end(
          event("message_start", {
            type: "message_start",
            message: {
              id: "msg_1",
              type: "message",
              role: "assistant",
              model: "claude-fake-1",
              content: [],
              stop_reason: null,
              stop_sequence: null,
              usage: { input_tokens: 1, output_tokens: 0 },
            },
          }) +
            event("content_block_start", {
              type: "content_block_start",
              index: 0,
              content_block: { type: "text", text: "" },
            }) +
            event("content_block_delta", {
              type: "content_block_delta",
              index: 0,
              delta: { type: "text_delta", text },
            }) +
            event("content_block_stop", { type: "content_block_stop", index: 0 }) +
            event("message_delta", {
              type: "message_delta",
              delta: { stop_reason: "end_turn", stop_sequence: null },
              usage: { output_tokens: 1 },
            }) +
            event("message_stop", { type: "message_stop" }),
        );
      });
      const raw = await postRaw(
        env,
        "/v1/chat/completions",
        { authorization: `Bearer ${user.token}` },
        { model: "claude", stream, messages: [{ role: "user", content: "hi" }] },
      );
      assert.equal(raw.status, 200, raw.text.slice(0, 300));
      const out = decoded(raw.text);
      assert.ok(!out.includes(ANTHROPIC_OPERATOR_KEY) && !out.includes(antMasked), raw.text);
    });
  }
});
