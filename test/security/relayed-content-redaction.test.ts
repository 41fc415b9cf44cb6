/**
 * @module test/security/relayed-content-redaction
 * Relayed content loses only the keys in play: an answer holding `\u` escapes, a UUID, a `chatcmpl-` id, a
 * long hash and the word "skeptical" reaches the client as the upstream sent it (streamed and whole), the
 * user's key in the same answer is still redacted, and an upstream error keeps key-shaped redaction.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";

const KEY = "sk-custom-relayed-content-key-2222";
const ID = "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT";
const UUID = "123e4567-e89b-12d3-a456-426614174000";
const HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
/** Python's json.dumps escapes every non-ASCII character: a `\u` in ordinary text. */
const TEXT = `I am skeptical of the caf\\u00e9, order ${UUID}, commit ${HASH}`;
const DECODED = `I am skeptical of the café, order ${UUID}, commit ${HASH}`;
const HEAD = `{"id":"${ID}","object":"chat.completion.chunk","created":1,"model":"m"`;

let env: ModelGateway;
before(async () => {
  env = await startModelGateway();
});
after(() => env.close());

const chunk = (delta: string, finish = "null") =>
  `data: ${HEAD},"choices":[{"index":0,"delta":${delta},"finish_reason":${finish}}]}\n\n`;

async function post(user: { token: string; headers: Record<string, string> }, stream: boolean) {
  const response = await fetch(`${env.gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json", ...user.headers },
    body: JSON.stringify({ model: "agent", stream, messages: [{ role: "user", content: "x" }] }),
  });
  return { status: response.status, text: await response.text() };
}

async function customUser() {
  return env.user({ custom: KEY }, { baseUrl: env.fakes.custom.baseUrl, model: "m" });
}

test("streamed: escapes, ids, UUIDs, hashes and words pass byte for byte; the key in play is redacted", async () => {
  const user = await customUser();
  const plain = [
    chunk('{"role":"assistant","content":""}'),
    chunk(`{"content":"${TEXT}"}`),
    chunk('{"content":" an \\"error\\" in the text"}'),
  ];
  const quoting = chunk(`{"content":" ${TEXT} and ${KEY}"}`);
  const last = `${chunk("{}", '"stop"')}data: [DONE]\n\n`;
  env.fakes.custom.respondNext((_request, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.end(plain.join("") + quoting + last);
  });
  const answer = await post(user, true);
  assert.equal(answer.status, 200);
  for (const event of plain) assert.ok(answer.text.includes(event), `relayed as sent: ${event}`);
  assert.ok(answer.text.endsWith(last), "the last chunk and [DONE] as sent");
  assert.ok(!answer.text.includes(KEY), "the key in play never reaches the client");
  const events = answer.text
    .split("\n\n")
    .filter((event) => event.startsWith("data: {"))
    .map(
      (event) =>
        JSON.parse(event.slice(6)) as { id: string; choices: Array<{ delta: { content?: string } }> },
    );
  assert.deepEqual(new Set(events.map((event) => event.id)), new Set([ID]), "one id on every chunk");
  assert.equal(events[3]?.choices[0]?.delta.content, ` ${DECODED} and [redacted]`);
});

test("whole: an answer with escapes, ids and words is relayed as its own text; with the key, only the key goes", async () => {
  const user = await customUser();
  const body = (content: string) =>
    `{"id":"${ID}","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":` +
    `{"role":"assistant","content":"${content}","refusal":null},"logprobs":null,"finish_reason":"stop"}],` +
    '"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}';
  env.fakes.custom.respondNext((_request, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(body(`${TEXT}; no \\"error\\" here`));
  });
  const plain = await post(user, false);
  assert.equal(plain.status, 200);
  assert.equal(plain.text, body(`${TEXT}; no \\"error\\" here`), "the upstream's own text, byte for byte");

  env.fakes.custom.respondNext((_request, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(body(`${TEXT} ${KEY}`));
  });
  const quoting = await post(user, false);
  assert.equal(quoting.status, 200);
  const parsed = JSON.parse(quoting.text) as { id: string; choices: Array<{ message: { content: string } }> };
  assert.equal(parsed.id, ID);
  assert.equal(parsed.choices[0]?.message.content, `${DECODED} [redacted]`);
});

test("an upstream error event still loses key-shaped tokens the gateway did not send", async () => {
  const user = await customUser();
  const foreign = "sk-proj-someoneElsesKey0123456789";
  env.fakes.custom.respondNext((_request, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.end(
      chunk('{"role":"assistant","content":"hi"}') +
        `data: {"error":{"message":"Incorrect API key provided: ${foreign} (and ${KEY})","type":"invalid_request_error"}}\n\n`,
    );
  });
  const answer = await post(user, true);
  assert.ok(!answer.text.includes(foreign), answer.text);
  assert.ok(!answer.text.includes(KEY), answer.text);
  assert.match(answer.text, /Incorrect API key provided: \[redacted\] \(and \[redacted\]\)/);
});
