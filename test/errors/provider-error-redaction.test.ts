/** @module test/errors/provider-error-redaction
 * Issue 12, finding 2 and "redaction by construction": an upstream that echoes the key it received in its
 * error's type, code, param or message never hands it to the client, translated or not, streamed or not;
 * only known provider codes pass verbatim. */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, describe, test } from "node:test";
import {
  ANTHROPIC_OPERATOR_KEY,
  type AnthropicGateway,
  type AnthropicGatewayUser,
  anthropicHeaders,
  postRaw,
  sseEvents,
  startAnthropicGateway,
} from "../support/anthropic-gateway.ts";
import { type ListenGateway, startListenGateway } from "../support/listen-gateway.ts";
import { OPERATOR_KEYS } from "../support/model-gateway.ts";

/** The key the fake received, from Authorization or x-api-key. */
const keyOf = (headers: Readonly<Record<string, string>>): string =>
  (headers["x-api-key"] ?? headers.authorization ?? "").replace(/^Bearer /, "");

/** Key-shaped pieces that would betray the operator keys. */
function assertNoKey(where: string, text: string): void {
  for (const key of [OPERATOR_KEYS.openai, ANTHROPIC_OPERATOR_KEY]) {
    assert.ok(!text.includes(key), `${where} contains a key: ${text.slice(0, 600)}`);
    assert.ok(!text.includes(key.slice(0, 12)), `${where} contains a key's head: ${text.slice(0, 600)}`);
  }
}

function sse(response: ServerResponse, blocks: readonly string[]): void {
  response.writeHead(200, { "content-type": "text/event-stream" });
  for (const block of blocks) response.write(block);
  response.end();
}

const openAiChunk = (content: string) =>
  `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "gpt-4.1-mini", choices: [{ index: 0, delta: { role: "assistant", content }, finish_reason: null }] })}\n\n`;

describe("provider error text reaching a client", () => {
  let env: AnthropicGateway;
  let user: AnthropicGatewayUser;

  before(async () => {
    env = await startAnthropicGateway();
    user = await env.user();
  });
  after(() => env.close());

  test("/v1/messages translated from an OpenAI stream: an error type echoing the operator key is replaced", async () => {
    env.fakes.openai.respondNext((request, response) => {
      const key = keyOf(request.headers);
      sse(response, [
        openAiChunk("Hel"),
        `data: ${JSON.stringify({ error: { type: key, code: key, message: `bad key ${key}` } })}\n\n`,
      ]);
    });
    const answer = await postRaw(env, "/v1/messages", anthropicHeaders(user), {
      model: "gpt",
      max_tokens: 20,
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(env.fakes.openai.requests.at(-1)?.headers.authorization, `Bearer ${OPERATOR_KEYS.openai}`);
    assertNoKey("the stream", answer.text);
    const failure = sseEvents(answer.text).find((event) => event.event === "error");
    assert.ok(failure, answer.text);
    const error = (failure.data as { error: Record<string, unknown> }).error;
    assert.equal(error.code, "provider_error");
    assert.match(String(error.message), /^openai: bad key \[redacted\]/);
  });

  test("/v1/messages translated: a known OpenAI code passes verbatim", async () => {
    env.fakes.openai.respondNext((_request, response) => {
      sse(response, [
        openAiChunk("Hel"),
        `data: ${JSON.stringify({ error: { type: "server_error", message: "try again" } })}\n\n`,
      ]);
    });
    const answer = await postRaw(env, "/v1/messages", anthropicHeaders(user), {
      model: "gpt",
      max_tokens: 20,
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    const failure = sseEvents(answer.text).find((event) => event.event === "error");
    assert.ok(failure, answer.text);
    const error = (failure.data as { error: Record<string, unknown> }).error;
    assert.equal(error.code, "server_error", answer.text);
  });

  test("/v1/chat/completions translated from an Anthropic stream: an error type echoing the key is replaced", async () => {
    env.anthropic.respondNext((request, response) => {
      const key = keyOf(request.headers);
      sse(response, [
        `event: message_start\ndata: ${JSON.stringify({ type: "message_start", message: { id: "m1", type: "message", role: "assistant", model: "claude-fake-1", content: [], usage: { input_tokens: 1, output_tokens: 0 } } })}\n\n`,
        `event: error\ndata: ${JSON.stringify({ type: "error", error: { type: key, message: `key ${key} refused` } })}\n\n`,
      ]);
    });
    const answer = await postRaw(
      env,
      "/v1/chat/completions",
      { authorization: `Bearer ${user.token}` },
      { model: "claude", stream: true, messages: [{ role: "user", content: "hi" }] },
    );
    assert.equal(answer.status, 200, answer.text);
    assert.equal(env.anthropic.requests.at(-1)?.headers["x-api-key"], ANTHROPIC_OPERATOR_KEY);
    assertNoKey("the stream", answer.text);
    const failure = sseEvents(answer.text).find(
      (event) => typeof event.data === "object" && event.data !== null && "error" in event.data,
    );
    assert.ok(failure, answer.text);
    const error = (failure.data as { error: Record<string, unknown> }).error;
    assert.equal(error.code, "provider_error", answer.text);
  });

  test("pass-through error bodies: code, type and param echoing the key are dropped or replaced", async () => {
    env.fakes.openai.respondNext((request, response) => {
      const key = keyOf(request.headers);
      response.writeHead(400, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: { message: "no", type: key, code: key, param: key } }));
    });
    const chat = await postRaw(
      env,
      "/v1/chat/completions",
      { authorization: `Bearer ${user.token}` },
      { model: "gpt", messages: [{ role: "user", content: "hi" }] },
    );
    assert.equal(chat.status, 400, chat.text);
    assertNoKey("the chat error", chat.text);
    const error = (chat.json as { error: Record<string, unknown> }).error;
    assert.equal(error.code, "provider_error");
    assert.equal(error.param, null);

    env.anthropic.respondNext((request, response) => {
      const key = keyOf(request.headers);
      response.writeHead(400, { "content-type": "application/json" });
      response.end(JSON.stringify({ type: "error", error: { type: key, message: `bad ${key}` } }));
    });
    const messages = await postRaw(env, "/v1/messages", anthropicHeaders(user), {
      model: "claude",
      max_tokens: 20,
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(messages.status, 400, messages.text);
    assertNoKey("the messages error", messages.text);
  });

  test("a known code and an identifier-like param pass verbatim", async () => {
    env.fakes.openai.failNext(400, {
      message: "too long",
      type: "invalid_request_error",
      code: "context_length_exceeded",
    });
    env.fakes.openai.respondNext((_request, response) => {
      response.writeHead(400, { "content-type": "application/json" });
      response.end(
        JSON.stringify({
          error: {
            message: "bad",
            type: "invalid_request_error",
            code: "invalid_value",
            param: "messages[0].content",
          },
        }),
      );
    });
    const first = await postRaw(
      env,
      "/v1/chat/completions",
      { authorization: `Bearer ${user.token}` },
      { model: "gpt", messages: [{ role: "user", content: "hi" }] },
    );
    assert.equal(
      (first.json as { error: { code: string } }).error.code,
      "context_length_exceeded",
      first.text,
    );
    const second = await postRaw(
      env,
      "/v1/chat/completions",
      { authorization: `Bearer ${user.token}` },
      { model: "gpt", messages: [{ role: "user", content: "hi" }] },
    );
    const error = (second.json as { error: Record<string, unknown> }).error;
    assert.equal(error.code, "invalid_value", second.text);
    assert.equal(error.param, "messages[0].content");
  });

  test("Retry-After passes only as seconds or an HTTP date, never as provider text", async () => {
    const send = async (retryAfter: (key: string) => string) => {
      env.fakes.openai.respondNext((request, response) => {
        response.writeHead(429, {
          "content-type": "application/json",
          "retry-after": retryAfter(keyOf(request.headers)),
        });
        response.end(
          JSON.stringify({ error: { message: "slow down", type: "requests", code: "rate_limit_exceeded" } }),
        );
      });
      return postRaw(
        env,
        "/v1/chat/completions",
        { authorization: `Bearer ${user.token}` },
        { model: "gpt", messages: [{ role: "user", content: "hi" }] },
      );
    };
    const echoed = await send((key) => key);
    assert.equal(echoed.status, 429, echoed.text);
    assert.equal(echoed.headers.get("retry-after"), null);
    assertNoKey("the headers", [...echoed.headers].join("\n"));
    assert.equal((await send(() => "17")).headers.get("retry-after"), "17");
    const date = "Wed, 21 Oct 2026 07:28:00 GMT";
    assert.equal((await send(() => date)).headers.get("retry-after"), date);
  });
});

describe("Deepgram error text reaching a client", () => {
  const USER_KEY = "dg-user-key-redaction-0123456789abcdef";
  let env: ListenGateway;
  before(async () => {
    env = await startListenGateway();
  });
  after(() => env.close());

  test("an err_code echoing the key becomes provider_error; a known one passes; the message is redacted", async () => {
    const user = await env.user({ deepgram: USER_KEY });
    const send = async () => {
      const response = await fetch(`${env.gateway.url}/v1/listen?model=transcription`, {
        method: "POST",
        headers: { authorization: `Token ${user.token}`, "content-type": "audio/wav", ...user.headers },
        body: new Uint8Array(64),
      });
      return { status: response.status, text: await response.text() };
    };
    env.fake.failNextRest(400, { err_code: USER_KEY, err_msg: `bad key ${USER_KEY}`, request_id: "x" });
    const echoed = await send();
    assert.equal(echoed.status, 400, echoed.text);
    assert.ok(!echoed.text.includes(USER_KEY), echoed.text);
    assert.ok(!echoed.text.includes("0123456789abcdef"), echoed.text);
    const body = JSON.parse(echoed.text) as Record<string, unknown>;
    assert.equal(body.err_code, "upstream_rejected");
    assert.equal(body.code, "provider_error");

    env.fake.failNextRest(401, {
      err_code: "INVALID_AUTH",
      err_msg: "Invalid credentials.",
      request_id: "x",
    });
    const known = JSON.parse((await send()).text) as Record<string, unknown>;
    assert.equal(known.code, "INVALID_AUTH");
  });
});
