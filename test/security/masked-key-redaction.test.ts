/**
 * @module test/security/masked-key-redaction
 * The masked forms of a key in play that providers echo (`sk-ope...0000`, `sk-operat****0000`, `sk-op…0000`,
 * `****0000`) are redacted outside error fields too: in the delta content or another string of an
 * otherwise conforming streamed chunk, and in any string of a whole answer, on the pass-through ingresses.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, describe, test } from "node:test";
import type { RecordedRequest } from "../peers/fake-openai-provider.ts";
import {
  ANTHROPIC_OPERATOR_KEY,
  type AnthropicGateway,
  anthropicHeaders,
  postRaw,
  sseEvents,
  startAnthropicGateway,
} from "../support/anthropic-gateway.ts";
import { OPERATOR_KEYS } from "../support/model-gateway.ts";

const KEY = OPERATOR_KEYS.openai;

/** The masked forms of `key` that keys/redact-secrets.ts recognises. */
const masks = (key: string): string[] => [
  `${key.slice(0, 6)}...${key.slice(-4)}`,
  `${key.slice(0, 9)}****${key.slice(-4)}`,
  `${key.slice(0, 5)}…${key.slice(-4)}`,
  `****${key.slice(-4)}`,
];

const PREFIX = '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m"';
const FIRST = `data: ${PREFIX},"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}\n\n`;
const content = (text: string) =>
  `data: ${PREFIX},"choices":[{"index":0,"delta":{"content":${JSON.stringify(text)}},"finish_reason":null}]}\n\n`;
const fingerprint = (text: string) =>
  `data: ${PREFIX},"system_fingerprint":${JSON.stringify(text)},"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}\n\n`;

const chatAnswer = (text: string) =>
  JSON.stringify({
    id: "c1",
    object: "chat.completion",
    created: 1,
    model: "m",
    choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  });
const messagesAnswer = (text: string) =>
  JSON.stringify({
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-fake-1",
    content: [{ type: "text", text }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 1, output_tokens: 1 },
  });

/** Whether the client's text, with JSON escapes decoded, holds a masked form of `key` or the key. */
function leaks(text: string, key: string): string | null {
  const decoded = text.replace(/\\u([0-9a-fA-F]{4})/g, (_match, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
  return [key, ...masks(key)].find((form) => decoded.includes(form)) ?? null;
}

describe("masked keys outside error fields", () => {
  let env: AnthropicGateway;
  before(async () => {
    env = await startAnthropicGateway();
  });
  after(() => env.close());

  const respond = (upstream: "openai" | "anthropic", write: (response: ServerResponse) => void) => {
    const handler = (_request: RecordedRequest, response: ServerResponse) => write(response);
    if (upstream === "openai") env.fakes.openai.respondNext(handler);
    else env.anthropic.respondNext(handler);
  };

  for (const mask of masks(KEY)) {
    for (const [where, event] of [
      ["delta content", content(`Your key is ${mask}, keep it safe`)],
      ["another string field", fingerprint(mask)],
    ] as const) {
      for (const together of [true, false]) {
        test(`chat stream: ${mask} in ${where} of a conforming chunk${together ? "" : " (its own chunk)"} is redacted`, async () => {
          const user = await env.user();
          respond("openai", (response) => {
            response.writeHead(200, { "content-type": "text/event-stream" });
            if (together) response.end(`${FIRST}${content("a")}${event}${content("b")}data: [DONE]\n\n`);
            else {
              response.write(FIRST + content("a"));
              response.end(`${event}${content("b")}data: [DONE]\n\n`);
            }
          });
          const raw = await postRaw(
            env,
            "/v1/chat/completions",
            { authorization: `Bearer ${user.token}` },
            { model: "gpt", stream: true, messages: [{ role: "user", content: "hi" }] },
          );
          assert.equal(raw.status, 200);
          assert.equal(leaks(raw.text, KEY), null, raw.text.slice(0, 600));
          const events = sseEvents(raw.text.replace(/(^|\n)data: \[DONE\]\n\n/g, "$1"));
          assert.equal(events.length, 4, `every chunk relayed and parsed: ${raw.text.slice(0, 600)}`);
          assert.ok(JSON.stringify(events[2]?.data).includes("[redacted]"), raw.text.slice(0, 600));
        });
      }
    }

    test(`chat whole answer: ${mask} in the message content is redacted`, async () => {
      const user = await env.user();
      respond("openai", (response) => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(chatAnswer(`Your key is ${mask}.`));
      });
      const raw = await postRaw(
        env,
        "/v1/chat/completions",
        { authorization: `Bearer ${user.token}` },
        { model: "gpt", messages: [{ role: "user", content: "hi" }] },
      );
      assert.equal(raw.status, 200, raw.text.slice(0, 300));
      assert.equal(leaks(raw.text, KEY), null, raw.text);
      const answer = raw.json as { choices: Array<{ message: { content: string } }> };
      assert.equal(answer.choices[0]?.message.content, "Your key is [redacted].");
    });

    const anthropicMask = mask
      .replace(KEY.slice(0, 9), ANTHROPIC_OPERATOR_KEY.slice(0, 9))
      .replace(KEY.slice(-4), ANTHROPIC_OPERATOR_KEY.slice(-4));
    test(`messages whole answer: ${anthropicMask} in a text block is redacted`, async () => {
      const user = await env.user();
      respond("anthropic", (response) => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(messagesAnswer(`Your key is ${anthropicMask}.`));
      });
      const raw = await postRaw(env, "/v1/messages", anthropicHeaders(user), {
        model: "claude",
        max_tokens: 50,
        messages: [{ role: "user", content: "hi" }],
      });
      assert.equal(raw.status, 200, raw.text.slice(0, 300));
      assert.equal(leaks(raw.text, ANTHROPIC_OPERATOR_KEY), null, raw.text);
      const answer = raw.json as { content: Array<{ text: string }> };
      assert.equal(answer.content[0]?.text, "Your key is [redacted].");
    });
  }

  test("chat whole answer: the raw key in the message content is redacted too", async () => {
    const user = await env.user();
    respond("openai", (response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(chatAnswer(`Your key is ${KEY}.`));
    });
    const raw = await postRaw(
      env,
      "/v1/chat/completions",
      { authorization: `Bearer ${user.token}` },
      { model: "gpt", messages: [{ role: "user", content: "hi" }] },
    );
    assert.equal(raw.status, 200, raw.text.slice(0, 300));
    assert.equal(leaks(raw.text, KEY), null, raw.text);
  });

  test("a conforming stream that quotes no key, whole or masked, is relayed byte for byte", async () => {
    const user = await env.user();
    const stream = `${FIRST}${content("a ...000 b **00 c")}${content("b")}data: [DONE]\n\n`;
    respond("openai", (response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.end(stream);
    });
    const raw = await postRaw(
      env,
      "/v1/chat/completions",
      { authorization: `Bearer ${user.token}` },
      { model: "gpt", stream: true, messages: [{ role: "user", content: "hi" }] },
    );
    assert.equal(raw.status, 200);
    assert.equal(raw.text, stream);
  });
});
