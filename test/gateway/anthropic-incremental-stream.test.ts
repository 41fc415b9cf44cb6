/** @module test/gateway/anthropic-incremental-stream.test
 * Streams are translated as they arrive: a paced fake holds its stream open after the first text delta until the
 * client has seen it translated (OpenAI ingress on an Anthropic route, Anthropic ingress on an OpenAI route,
 * Anthropic passed through); a client that leaves mid-stream closes the upstream.
 */
import assert from "node:assert/strict";
import type http from "node:http";
import { after, before, describe, test } from "node:test";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import {
  ANTHROPIC_USER_KEY,
  type AnthropicGateway,
  type AnthropicGatewayUser,
  CLAUDE_MODEL,
  type Deferred,
  deferred,
  OPENAI_USER_KEY,
  openStream,
  startAnthropicGateway,
  writeAnthropicEvent,
} from "../support/anthropic-gateway.ts";
import { assertValidChatCompletionChunk } from "../support/openai-schema.ts";

/** Bounds a broken (buffering) gateway to a clear failure instead of a hang; no test waits on a timer. */
const BOUND = { timeout: 10_000 };

interface Pacer {
  /** Opened by the test once the client has the first translated text. */
  readonly gate: Deferred;
  /** Whether the fake had finished its stream (it cannot before the gate opens). */
  ended: boolean;
}

function pacer(): Pacer {
  return { gate: deferred(), ended: false };
}

/** An Anthropic stream: message_start and one text delta, then (after the gate) the rest. */
function pacedAnthropic(pace: Pacer) {
  return async (_request: unknown, res: http.ServerResponse) => {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
    writeAnthropicEvent(res, {
      type: "message_start",
      message: {
        id: "msg_paced",
        type: "message",
        role: "assistant",
        model: CLAUDE_MODEL,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 7, output_tokens: 1 },
      },
    });
    writeAnthropicEvent(res, {
      type: "content_block_start",
      index: 0,
      content_block: { type: "text", text: "" },
    });
    writeAnthropicEvent(res, {
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text: "First" },
    });
    await pace.gate.promise;
    writeAnthropicEvent(res, {
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text: " and last" },
    });
    writeAnthropicEvent(res, { type: "content_block_stop", index: 0 });
    writeAnthropicEvent(res, {
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: 3 },
    });
    writeAnthropicEvent(res, { type: "message_stop" });
    pace.ended = true;
    res.end();
  };
}

/** An OpenAI stream: the role chunk and one content chunk, then (after the gate) the rest and [DONE]. */
function pacedOpenAi(pace: Pacer) {
  return async (_request: unknown, res: http.ServerResponse) => {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      `data: ${JSON.stringify({
        id: "chatcmpl-paced",
        object: "chat.completion.chunk",
        created: 1_700_000_000,
        model: "gpt-4.1-mini",
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      })}\n\n`;
    res.write(chunk({ role: "assistant", content: "" }));
    res.write(chunk({ content: "First" }));
    await pace.gate.promise;
    res.write(chunk({ content: " and last" }));
    res.write(chunk({}, "stop"));
    pace.ended = true;
    res.end("data: [DONE]\n\n");
  };
}

describe("streams leave the gateway before the upstream stream ends", () => {
  let env: AnthropicGateway;
  let user: AnthropicGatewayUser;
  const pacers: Pacer[] = [];
  before(async () => {
    env = await startAnthropicGateway();
    user = await env.user({ anthropic: ANTHROPIC_USER_KEY, openai: OPENAI_USER_KEY });
  });
  after(async () => {
    for (const pace of pacers) pace.gate.resolve();
    await env.close();
  });

  test(
    "OpenAI ingress on an Anthropic route: the first chunks arrive while Anthropic still streams",
    BOUND,
    async () => {
      const pace = pacer();
      pacers.push(pace);
      env.anthropic.respondNext(pacedAnthropic(pace));
      const stream = await user.openai.chat.completions.create({
        model: "claude",
        messages: [{ role: "user", content: "Say hello" }],
        stream: true,
      });
      const chunks: ChatCompletionChunk[] = [];
      let beforeGate: ChatCompletionChunk[] | null = null;
      let endedAtFirstText: boolean | null = null;
      for await (const chunk of stream) {
        assertValidChatCompletionChunk(chunk);
        chunks.push(chunk);
        if (endedAtFirstText === null && chunk.choices[0]?.delta.content === "First") {
          endedAtFirstText = pace.ended;
          beforeGate = [...chunks];
          pace.gate.resolve();
        }
      }
      assert.equal(endedAtFirstText, false, "the translated text arrived before the upstream stream ended");
      assert.equal(beforeGate?.[0]?.choices[0]?.delta.role, "assistant", "the role chunk came first");
      const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
      assert.equal(text, "First and last");
      assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, "stop");
    },
  );

  test(
    "Anthropic ingress on an OpenAI route: the first text arrives while the upstream still streams",
    BOUND,
    async () => {
      const pace = pacer();
      pacers.push(pace);
      env.fakes.openai.respondNext(pacedOpenAi(pace));
      const texts: string[] = [];
      let endedAtFirstText: boolean | null = null;
      const stream = user.anthropic.messages.stream({
        model: "gpt",
        max_tokens: 64,
        messages: [{ role: "user", content: "Say hello" }],
      });
      stream.on("text", (text) => {
        texts.push(text);
        if (endedAtFirstText !== null) return;
        endedAtFirstText = pace.ended;
        pace.gate.resolve();
      });
      const message = await stream.finalMessage();
      assert.equal(endedAtFirstText, false, "the translated text arrived before the upstream stream ended");
      assert.deepEqual(texts, ["First", " and last"]);
      assert.deepEqual(message.content, [{ type: "text", text: "First and last" }]);
      assert.equal(message.stop_reason, "end_turn");
    },
  );

  test("Anthropic ingress passed through natively: relayed event by event", BOUND, async () => {
    const pace = pacer();
    pacers.push(pace);
    env.anthropic.respondNext(pacedAnthropic(pace));
    const response = await fetch(`${env.gateway.url}/v1/messages`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-api-key": user.token,
        "anthropic-version": "2023-06-01",
        ...user.headers,
      },
      body: JSON.stringify({
        model: "claude",
        max_tokens: 64,
        stream: true,
        messages: [{ role: "user", content: "Say hello" }],
      }),
    });
    assert.equal(response.status, 200);
    assert.ok(response.body, "a streamed body");
    const decoder = new TextDecoder();
    let received = "";
    let endedAtFirstText: boolean | null = null;
    for await (const bytes of response.body) {
      received += decoder.decode(bytes, { stream: true });
      if (endedAtFirstText === null && received.includes('"text":"First"')) {
        endedAtFirstText = pace.ended;
        pace.gate.resolve();
      }
    }
    assert.equal(endedAtFirstText, false, "the first text left the gateway before the upstream stream ended");
    assert.match(received, /event: message_stop/);
    assert.match(received, /" and last"/);
  });

  for (const { name, feature, path, fake } of [
    {
      name: "OpenAI ingress on an Anthropic route",
      feature: "claude",
      path: "/v1/chat/completions",
      fake: "anthropic",
    },
    { name: "Anthropic ingress on an OpenAI route", feature: "gpt", path: "/v1/messages", fake: "openai" },
  ] as const) {
    test(
      `${name}: a client that leaves mid-stream closes the upstream; the call is logged as aborted`,
      BOUND,
      async () => {
        const leaver = await env.user({ anthropic: ANTHROPIC_USER_KEY, openai: OPENAI_USER_KEY });
        const stream = await openStream(
          `${env.gateway.url}${path}`,
          { authorization: `Bearer ${leaver.token}`, ...leaver.headers },
          { model: feature, max_tokens: 64, stream: true, messages: [{ role: "user", content: "hang" }] },
        );
        assert.equal(stream.status, 200);
        const translated = fake === "anthropic" ? /^data: \{/ : /^event: message_start\n/;
        assert.match(stream.first.toString(), translated, "the first translated bytes arrived");
        const upstream = fake === "anthropic" ? env.anthropic : env.fakes.openai;
        const closed = upstream.nextAbortedResponse();
        stream.leave();
        const { request } = await closed;
        assert.equal((request.body as { stream?: unknown }).stream, true);
        const served = await env.gateway.waitForLog(`"served":{"userId":"${leaver.id}"`);
        assert.match(served, /"outcome":"client_aborted"/);
        const usage = await fetch(`${env.gateway.url}/v1/usage`, {
          headers: { authorization: `Bearer ${leaver.token}` },
        });
        assert.equal(usage.status, 200, "the gateway serves on after the abort");
        const report = (await usage.json()) as { usage: { byok: { requests: number } } };
        assert.equal(report.usage.byok.requests, 1, "the aborted call is recorded");
      },
    );
  }
});
