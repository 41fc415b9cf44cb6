/**
 * @module test/security/stream-failures
 * Broken upstream streams on every ingress (chat and messages, passed through and translated), through the
 * real gateway to the official SDKs: an upstream cut mid-line ends with an error event on an event
 * boundary (issue 12, finding 9), an invalid upstream event ends the stream with `invalid_upstream_event`
 * and is recorded as a failure, and an event over the cap (a few MB of key-shaped text, finding 1) ends
 * that one stream with `event_too_large` while the same gateway keeps serving.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, describe, test } from "node:test";
import type { RecordedRequest } from "../peers/fake-openai-provider.ts";
import {
  type AnthropicGateway,
  type AnthropicGatewayUser,
  anthropicHeaders,
  postRaw,
  sseEvents,
  startAnthropicGateway,
} from "../support/anthropic-gateway.ts";

type Dialect = "openai" | "anthropic";

interface Ingress {
  readonly name: string;
  readonly path: "/v1/chat/completions" | "/v1/messages";
  readonly feature: string;
  readonly upstream: Dialect;
}

const INGRESSES: readonly Ingress[] = [
  { name: "chat, passed through", path: "/v1/chat/completions", feature: "gpt", upstream: "openai" },
  { name: "chat, translated", path: "/v1/chat/completions", feature: "claude", upstream: "anthropic" },
  { name: "messages, passed through", path: "/v1/messages", feature: "claude", upstream: "anthropic" },
  { name: "messages, translated", path: "/v1/messages", feature: "gpt", upstream: "openai" },
];

/** A first whole event in the upstream's dialect. */
const FIRST_EVENT: Record<Dialect, string> = {
  openai:
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}\n\n',
  anthropic:
    'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-fake-1","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}\n\nevent: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
};

/** Half of the next event: the upstream stops mid-line. */
const HALF_EVENT: Record<Dialect, string> = {
  openai:
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assis',
  anthropic:
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_del',
};

/** Invalid upstream events, per dialect: unreadable data, a line that is no SSE field, the wrong shape. */
const INVALID_EVENTS: Record<Dialect, readonly string[]> = {
  openai: ["data: {not json\n\n", "garbage line\n\n", 'data: {"id":"c1","choices":"notarray"}\n\n'],
  anthropic: [
    "event: content_block_delta\ndata: {not json\n\n",
    "garbage line\n\n",
    'event: ping\ndata: {"type":5}\n\n',
  ],
};

const CANARY_CHAR = "k";

function sendStream(
  env: AnthropicGateway,
  upstream: Dialect,
  write: (response: ServerResponse) => void,
): void {
  const handler = (_request: RecordedRequest, response: ServerResponse) => {
    response.writeHead(200, { "content-type": "text/event-stream" });
    write(response);
  };
  if (upstream === "openai") env.fakes.openai.respondNext(handler);
  else env.anthropic.respondNext(handler);
}

function requestOf(ingress: Ingress, user: AnthropicGatewayUser) {
  const headers =
    ingress.path === "/v1/messages" ? anthropicHeaders(user) : { authorization: `Bearer ${user.token}` };
  const body =
    ingress.path === "/v1/messages"
      ? { model: ingress.feature, max_tokens: 50, stream: true, messages: [{ role: "user", content: "hi" }] }
      : { model: ingress.feature, stream: true, messages: [{ role: "user", content: "hi" }] };
  return { headers, body };
}

/** Every event of the body parses (JSON data or `[DONE]`), and the last is the client dialect's error. */
function assertEndsWithError(ingress: Ingress, text: string): { code: unknown; type: unknown } {
  const cleaned = text.replace(/(^|\n)data: \[DONE\]\n\n/g, "$1");
  const events = sseEvents(cleaned); // throws on an event whose data is not JSON: a glued partial line
  const last = events.at(-1);
  assert.ok(last !== undefined, `no event in ${JSON.stringify(text.slice(0, 300))}`);
  if (ingress.path === "/v1/messages") assert.equal(last.event, "error", JSON.stringify(last));
  const error = (last.data as { error?: { code?: unknown; type?: unknown } }).error;
  assert.ok(error !== undefined, `the last event is no error: ${JSON.stringify(last)}`);
  return { code: error.code, type: error.type };
}

async function sdkRejects(ingress: Ingress, user: AnthropicGatewayUser): Promise<void> {
  const drain = async () => {
    if (ingress.path === "/v1/messages") {
      const stream = await user.anthropic.messages.create({
        model: ingress.feature,
        max_tokens: 50,
        stream: true,
        messages: [{ role: "user", content: "hi" }],
      });
      for await (const _event of stream);
    } else {
      const stream = await user.openai.chat.completions.create({
        model: ingress.feature,
        stream: true,
        messages: [{ role: "user", content: "hi" }],
      });
      for await (const _chunk of stream);
    }
  };
  await assert.rejects(drain, (error: Error) => {
    // The SDK raised the gateway's error event, not a JSON parse error over a glued line.
    assert.doesNotMatch(error.message, /JSON|Unexpected token|parse/i);
    return true;
  });
}

describe("broken upstream streams, on every ingress", () => {
  let env: AnthropicGateway;
  before(async () => {
    env = await startAnthropicGateway();
  });
  after(() => env.close());

  for (const ingress of INGRESSES) {
    test(`${ingress.name}: an upstream cut mid-line ends with an error event on an event boundary`, async () => {
      const user = await env.user();
      const cut = (response: ServerResponse) => {
        response.write(FIRST_EVENT[ingress.upstream]);
        response.write(HALF_EVENT[ingress.upstream], () => response.socket?.destroy());
      };
      sendStream(env, ingress.upstream, cut);
      const { headers, body } = requestOf(ingress, user);
      const raw = await postRaw(env, ingress.path, headers, body);
      assert.equal(raw.status, 200);
      assert.doesNotMatch(raw.text, /(assis|text_del)(data|event):/, "the partial line is never glued");
      const error = assertEndsWithError(ingress, raw.text);
      assert.ok(typeof error.code === "string" || typeof error.type === "string");
      sendStream(env, ingress.upstream, cut);
      await sdkRejects(ingress, user);
    });

    test(`${ingress.name}: an invalid upstream event ends the stream with invalid_upstream_event, recorded as a failure`, async () => {
      for (const invalid of INVALID_EVENTS[ingress.upstream]) {
        const user = await env.user();
        sendStream(env, ingress.upstream, (response) => {
          response.write(FIRST_EVENT[ingress.upstream]);
          response.end(invalid);
        });
        const served = env.gateway.waitForLog(`"served":{"userId":"${user.id}"`);
        const { headers, body } = requestOf(ingress, user);
        const raw = await postRaw(env, ingress.path, headers, body);
        assert.equal(raw.status, 200);
        const error = assertEndsWithError(ingress, raw.text);
        assert.equal(error.code, "invalid_upstream_event", `${JSON.stringify(invalid)}: ${raw.text}`);
        assert.match(await served, /"outcome":"upstream_error"/, JSON.stringify(invalid));
      }
    });

    test(`${ingress.name}: an unterminated event of megabytes of key-shaped text ends that stream alone (event_too_large)`, async () => {
      const user = await env.user();
      sendStream(env, ingress.upstream, (response) => {
        response.write(FIRST_EVENT[ingress.upstream]);
        response.write(`data: {"x":"${CANARY_CHAR.repeat(3 * 1024 * 1024)}`, () =>
          response.socket?.destroy(),
        );
      });
      const { headers, body } = requestOf(ingress, user);
      const raw = await postRaw(env, ingress.path, headers, body);
      assert.equal(raw.status, 200);
      const error = assertEndsWithError(ingress, raw.text);
      assert.equal(error.code, "event_too_large");
      assert.ok(raw.text.length < 64 * 1024, "none of the oversized event reached the client");
      // The same gateway keeps serving.
      const again = await env.user();
      const answer = await again.openai.chat.completions.create({
        model: "gpt",
        messages: [{ role: "user", content: "hi" }],
      });
      assert.ok(answer.choices.length > 0);
    });
  }
});
