/**
 * @module test/security/error-shape-redaction
 * Upstream error text of every shape loses key-shaped tokens the gateway did not send (a proxy's own key
 * echoed): a choice-level error (`finish_reason: "error"`), a host's `{"detail": …}`, a Gemini-style array,
 * an `error` member nested in content; a conforming answer with a key-shaped id stays byte for byte.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";

const KEY = "sk-custom-error-shape-key-3333";
const OTHER = "sk-proxy-upstream-9876543210zyxw";
const MESSAGE = `Incorrect API key provided: ${OTHER}`;
const HEAD = '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m"';
const FIRST = `data: ${HEAD},"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}\n\n`;

let env: ModelGateway;
before(async () => {
  env = await startModelGateway();
});
after(() => env.close());

async function post(stream: boolean, reply: string) {
  const user = await env.user({ custom: KEY }, { baseUrl: env.fakes.custom.baseUrl, model: "m" });
  env.fakes.custom.respondNext((_request, res) => {
    res.writeHead(200, { "content-type": stream ? "text/event-stream" : "application/json" });
    res.end(reply);
  });
  const response = await fetch(`${env.gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json", ...user.headers },
    body: JSON.stringify({ model: "agent", stream, messages: [{ role: "user", content: "x" }] }),
  });
  return { status: response.status, text: await response.text() };
}

const streamed: Array<[string, string]> = [
  [
    "a choice-level error",
    `data: ${HEAD},"choices":[{"index":0,"delta":{},"finish_reason":"error","error":{"message":"${MESSAGE}"}}]}\n\n`,
  ],
  ["a FastAPI-style detail", `data: {"detail":"${MESSAGE}"}\n\n`],
  [
    "a finish_reason of error with the text in content",
    `data: ${HEAD},"choices":[{"index":0,"delta":{"content":"${MESSAGE}"},"finish_reason":"error"}]}\n\n`,
  ],
  [
    "an error member nested in a conforming chunk",
    `data: ${HEAD},"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null,"logprobs":{"error":{"message":"${MESSAGE}"}}}]}\n\n`,
  ],
];

for (const [shape, event] of streamed)
  test(`streamed: ${shape} loses the key-shaped token`, async () => {
    const answer = await post(true, `${FIRST}${event}data: [DONE]\n\n`);
    assert.equal(answer.status, 200);
    assert.ok(!answer.text.includes(OTHER), answer.text);
    assert.match(answer.text, /Incorrect API key provided: \[redacted\]/);
  });

const whole: Array<[string, string]> = [
  ["a FastAPI-style detail", `{"detail":"${MESSAGE}"}`],
  ["a Gemini-style array", `[{"error":{"code":401,"message":"${MESSAGE}","status":"UNAUTHENTICATED"}}]`],
  [
    "a choice-level error",
    '{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,' +
      `"message":{"role":"assistant","content":"${MESSAGE}"},"finish_reason":"error"}]}`,
  ],
];

for (const [shape, body] of whole)
  test(`whole: ${shape} loses the key-shaped token`, async () => {
    const answer = await post(false, body);
    assert.ok(!answer.text.includes(OTHER), answer.text);
  });

test('a conforming answer with key-shaped ids and an error-free "error" stays as sent', async () => {
  const id = "sk-gen-0123456789abcdefghij";
  const body =
    `{"id":"${id}","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":` +
    `{"role":"assistant","content":"skeptical of ${OTHER}, no \\"error\\" here","refusal":null},` +
    '"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}';
  const plain = await post(false, body);
  assert.equal(plain.status, 200);
  assert.equal(plain.text, body);
  const chunk = `data: ${HEAD},"choices":[{"index":0,"delta":{"content":"${OTHER} \\"error\\""},"finish_reason":null}]}\n\n`;
  const streamedAnswer = await post(true, `${FIRST}${chunk}data: [DONE]\n\n`);
  assert.ok(streamedAnswer.text.includes(chunk), streamedAnswer.text);
});
