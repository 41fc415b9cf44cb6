/**
 * @module test/gateway/upstream-connection
 * The upstream connection's life: a client that leaves mid-stream closes the upstream at once; a pooled
 * socket the server closed before answering is retried once; a 503 once more (routing.retry); a 500 or an
 * answer that started is not retried.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { call, errorOf } from "../support/gateway-client.ts";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";

const USER_KEY = "sk-user-openai-connection-00000000";

describe("upstream connections", () => {
  let env: ModelGateway;
  before(async () => {
    env = await startModelGateway();
  });
  after(() => env.close());

  test("a client that disconnects mid-stream closes the upstream request within a second", async () => {
    const user = await env.user({ openai: USER_KEY });
    const client = new AbortController();
    const response = await fetch(`${env.gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json", ...user.headers },
      body: JSON.stringify({ model: "summary", stream: true, messages: [{ role: "user", content: "hang" }] }),
      signal: client.signal,
    });
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    const first = await reader.read();
    assert.ok(first.value && first.value.length > 0, "the first chunk arrived before the stream ended");
    const upstreamClosed = env.fakes.openai.nextAbortedResponse();
    const leftAt = performance.now();
    client.abort();
    const timeout = delay(1000, "timeout", { ref: false });
    const outcome = await Promise.race([upstreamClosed.then(() => "closed"), timeout]);
    assert.equal(outcome, "closed", "the fake saw its response closed by the gateway");
    assert.ok(performance.now() - leftAt < 1000);
    const served = await env.gateway.waitForLog('"outcome":"client_aborted"');
    assert.match(served, /"stream":true/);
  });

  test("a reused keep-alive socket closed before any response byte is retried once", async () => {
    const user = await env.user({ openai: USER_KEY });
    const chat = () =>
      call(env.gateway, "POST", "/v1/chat/completions", {
        token: user.token,
        headers: user.headers,
        body: { model: "summary", messages: [{ role: "user", content: "hi" }] },
      });
    // A call first, so the next one goes out on a kept-alive socket that already carried an answer (a fresh
    // socket closed after the server read the request is never sent it again: test/egress/replay-on-reuse).
    assert.equal((await chat()).status, 200);
    const before = env.fakes.openai.requests.length;
    env.fakes.openai.respondNext((_request, response) => {
      response.socket?.destroy(); // what a server does to a kept-alive socket it is closing
    });
    const response = await call(env.gateway, "POST", "/v1/chat/completions", {
      token: user.token,
      headers: user.headers,
      body: { model: "summary", messages: [{ role: "user", content: "hi" }] },
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(env.fakes.openai.requests.length - before, 2, "one failed attempt, one retry");
  });

  test("a response that fails after it started is not retried", async () => {
    const user = await env.user({ openai: USER_KEY });
    const before = env.fakes.openai.requests.length;
    env.fakes.openai.respondNext((_request, response) => {
      response.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      // The status line and part of the body reach the gateway before the socket dies.
      response.write('{"id":"x",', () => response.socket?.destroy());
    });
    const response = await call(env.gateway, "POST", "/v1/chat/completions", {
      token: user.token,
      headers: user.headers,
      body: { model: "summary", messages: [{ role: "user", content: "hi" }] },
    });
    assert.equal(response.status, 502);
    assert.equal(errorOf(response).type, "upstream_error");
    assert.equal(env.fakes.openai.requests.length - before, 1, "no silent retry");
  });

  test("an upstream 500 is not retried on the same route", async () => {
    const user = await env.user({ openai: USER_KEY });
    const before = env.fakes.openai.requests.length;
    env.fakes.openai.failNext(500, { message: "broken" });
    const response = await call(env.gateway, "POST", "/v1/chat/completions", {
      token: user.token,
      headers: user.headers,
      body: { model: "summary", messages: [{ role: "user", content: "hi" }] },
    });
    assert.equal(response.status, 502);
    assert.equal(errorOf(response).message, "openai: broken");
    assert.equal(env.fakes.openai.requests.length - before, 1);
  });

  test("an upstream 503 is retried once on the same route (routing.retry), and named in X-BYOK-Route", async () => {
    const user = await env.user({ openai: USER_KEY });
    const before = env.fakes.openai.requests.length;
    env.fakes.openai.failNext(503, { message: "overloaded" });
    env.fakes.openai.failNext(503, { message: "overloaded" });
    const response = await call(env.gateway, "POST", "/v1/chat/completions", {
      token: user.token,
      headers: user.headers,
      body: { model: "summary", messages: [{ role: "user", content: "hi" }] },
    });
    assert.equal(response.status, 502);
    assert.equal(errorOf(response).message, "openai: overloaded");
    assert.equal(env.fakes.openai.requests.length - before, 2, "one attempt and one retry, no more");
    assert.equal(
      response.headers.get("x-byok-route"),
      "openai/gpt-4.1-mini; source=byok; failed=openai/gpt-4.1-mini@byok:503",
    );
  });
});
