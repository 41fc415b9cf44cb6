/**
 * @module test/security/parsed-redaction
 * Redaction decided from the parsed shape on the pass-through streams (review findings 2, 3): an
 * operator-served upstream that hides its key behind JSON escapes (`\u0065rror`, one escaped key
 * character), quotes it outside any `error` field, or inside an otherwise conforming event, never hands
 * it to the client, and the client's JSON.parse of every event succeeds (no `\[redacted]`). And an
 * upstream answer nested past MAX_UPSTREAM_JSON_DEPTH is a 502 `upstream_error` (finding 7), not a 500.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, describe, test } from "node:test";
import type { RecordedRequest } from "../peers/fake-openai-provider.ts";
import {
  ANTHROPIC_OPERATOR_KEY,
  type AnthropicGateway,
  type AnthropicGatewayUser,
  anthropicHeaders,
  postRaw,
  sseEvents,
  startAnthropicGateway,
} from "../support/anthropic-gateway.ts";
import { OPERATOR_KEYS } from "../support/model-gateway.ts";

type Dialect = "openai" | "anthropic";

/** The key with its character at `index` written as a JSON `\uXXXX` escape (the same string once parsed). */
function escapeAt(key: string, index: number): string {
  const hex = key.charCodeAt(index).toString(16).padStart(4, "0");
  return `${key.slice(0, index)}\\u${hex}${key.slice(index + 1)}`;
}

const FIRST_EVENT: Record<Dialect, string> = {
  openai:
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}\n\n',
  anthropic:
    'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-fake-1","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}\n\n',
};

const OPENAI_KEY = OPERATOR_KEYS.openai;
const ANTHROPIC_KEY = ANTHROPIC_OPERATOR_KEY;

/** Upstream events quoting the operator's key in ways a byte search misses. */
const LEAKS: Record<Dialect, ReadonlyArray<readonly [string, string]>> = {
  openai: [
    [
      "key name escaped",
      `data: {"\\u0065rror":{"message":"Incorrect API key provided: ${OPENAI_KEY}","type":"invalid_request_error"}}\n\n`,
    ],
    [
      "one key character escaped",
      `data: {"error":{"message":"Incorrect API key provided: ${escapeAt(OPENAI_KEY, 8)}","type":"invalid_request_error"}}\n\n`,
    ],
    ["no error field", `data: {"detail":"Incorrect API key provided: ${OPENAI_KEY}"}\n\n`],
    ["a conforming chunk", `data: {"id":"c1","choices":[],"detail":"${OPENAI_KEY}"}\n\n`],
    [
      "escape right after the prefix (was \\[redacted])",
      `data: {"error":{"message":"Incorrect API key provided: ${escapeAt(OPENAI_KEY, 3)}","type":"invalid_request_error"}}\n\n`,
    ],
  ],
  anthropic: [
    [
      "key name escaped",
      `event: error\ndata: {"type":"\\u0065rror","\\u0065rror":{"type":"authentication_error","message":"invalid x-api-key ${ANTHROPIC_KEY}"}}\n\n`,
    ],
    [
      "one key character escaped",
      `event: error\ndata: {"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key ${escapeAt(ANTHROPIC_KEY, 9)}"}}\n\n`,
    ],
    ["no error field", `event: ping\ndata: {"detail":"${ANTHROPIC_KEY}","type":"ping"}\n\n`],
    ["a conforming event", `event: ping\ndata: {"type":"ping","detail":"${ANTHROPIC_KEY}"}\n\n`],
    [
      "escape right after the prefix (was \\[redacted])",
      `event: error\ndata: {"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key ${escapeAt(ANTHROPIC_KEY, 3)}"}}\n\n`,
    ],
  ],
};

interface Ingress {
  readonly name: string;
  readonly path: "/v1/chat/completions" | "/v1/messages";
  readonly feature: string;
  readonly upstream: Dialect;
}

const PASS_THROUGH: readonly Ingress[] = [
  { name: "chat, passed through", path: "/v1/chat/completions", feature: "gpt", upstream: "openai" },
  { name: "messages, passed through", path: "/v1/messages", feature: "claude", upstream: "anthropic" },
];
const TRANSLATED: readonly Ingress[] = [
  { name: "chat, translated", path: "/v1/chat/completions", feature: "claude", upstream: "anthropic" },
  { name: "messages, translated", path: "/v1/messages", feature: "gpt", upstream: "openai" },
];

function respond(env: AnthropicGateway, upstream: Dialect, write: (response: ServerResponse) => void): void {
  const handler = (_request: RecordedRequest, response: ServerResponse) => write(response);
  if (upstream === "openai") env.fakes.openai.respondNext(handler);
  else env.anthropic.respondNext(handler);
}

function requestOf(ingress: Ingress, user: AnthropicGatewayUser, stream: boolean) {
  const headers =
    ingress.path === "/v1/messages" ? anthropicHeaders(user) : { authorization: `Bearer ${user.token}` };
  const messages = [{ role: "user", content: "hi" }];
  const body =
    ingress.path === "/v1/messages"
      ? { model: ingress.feature, max_tokens: 50, stream, messages }
      : { model: ingress.feature, stream, messages };
  return { headers, body };
}

const DEEP = 200_000;
const deep = `${"[".repeat(DEEP)}${"]".repeat(DEEP)}`;

/** A valid whole answer in the upstream's dialect with a 200k-deep member. */
const DEEP_ANSWER: Record<Dialect, string> = {
  openai: `{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2},"x":${deep}}`,
  anthropic: `{"id":"msg_1","type":"message","role":"assistant","model":"claude-fake-1","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1},"x":${deep}}`,
};

/** A 200k-deep stream event the gateway must read (not the cheap conforming shape). */
const DEEP_EVENT: Record<Dialect, string> = {
  openai: `data: {"x":${deep},"id":"c1"}\n\n`,
  anthropic: `event: ping\ndata: {"x":${deep},"type":"ping"}\n\n`,
};

describe("redaction from the parsed shape, and upstream JSON depth", () => {
  let env: AnthropicGateway;
  before(async () => {
    env = await startAnthropicGateway();
  });
  after(() => env.close());

  for (const ingress of PASS_THROUGH) {
    for (const [name, event] of LEAKS[ingress.upstream]) {
      test(`${ingress.name}: ${name}: the operator's key never reaches the client, every event parses`, async () => {
        const key = ingress.upstream === "openai" ? OPENAI_KEY : ANTHROPIC_KEY;
        const user = await env.user();
        respond(env, ingress.upstream, (response) => {
          response.writeHead(200, { "content-type": "text/event-stream" });
          response.write(FIRST_EVENT[ingress.upstream]);
          response.end(event);
        });
        const { headers, body } = requestOf(ingress, user, true);
        const raw = await postRaw(env, ingress.path, headers, body);
        assert.equal(raw.status, 200);
        const events = sseEvents(raw.text.replace(/(^|\n)data: \[DONE\]\n\n/g, "$1")); // the client's JSON.parse
        const decoded = JSON.stringify(events);
        assert.ok(!decoded.includes(key), `the key in a parsed event: ${decoded.slice(0, 400)}`);
        assert.ok(!raw.text.includes(key.slice(-12)), "no tail of the key in the bytes either");
        assert.equal(events.length, 2, `both events relayed: ${raw.text.slice(0, 400)}`);
        assert.ok(decoded.includes("[redacted]"), decoded.slice(0, 400));
      });
    }
  }

  for (const ingress of PASS_THROUGH) {
    test(`${ingress.name}: an unparseable event quoting the key ends the stream, none of its bytes relayed`, async () => {
      const key = ingress.upstream === "openai" ? OPENAI_KEY : ANTHROPIC_KEY;
      const user = await env.user();
      respond(env, ingress.upstream, (response) => {
        response.writeHead(200, { "content-type": "text/event-stream" });
        // In one chunk with a valid event before it: only the valid event and the error event leave.
        response.end(`${FIRST_EVENT[ingress.upstream]}data: {"error": not json ${key}\n\n`);
      });
      const { headers, body } = requestOf(ingress, user, true);
      const raw = await postRaw(env, ingress.path, headers, body);
      assert.equal(raw.status, 200);
      assert.ok(!raw.text.includes(key.slice(-12)), raw.text.slice(0, 400));
      assert.doesNotMatch(raw.text, /not json/);
      const events = sseEvents(raw.text);
      const error = (events.at(-1)?.data as { error?: { code?: string } } | undefined)?.error;
      assert.equal(error?.code, "invalid_upstream_event", raw.text.slice(0, 400));
    });
  }

  for (const ingress of [...PASS_THROUGH, ...TRANSLATED]) {
    test(`${ingress.name}: a 200k-deep upstream answer is 502 upstream_error invalid_upstream_body`, async () => {
      const user = await env.user();
      respond(env, ingress.upstream, (response) => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(DEEP_ANSWER[ingress.upstream]);
      });
      const { headers, body } = requestOf(ingress, user, false);
      const raw = await postRaw(env, ingress.path, headers, body);
      assert.equal(raw.status, 502, raw.text.slice(0, 300));
      const error = (raw.json as { error: { type: string; code?: string } }).error;
      if (ingress.path === "/v1/chat/completions") assert.equal(error.type, "upstream_error");
      assert.equal(error.code ?? (raw.json as { code?: string }).code, "invalid_upstream_body", raw.text);
    });

    test(`${ingress.name}: a 200k-deep stream event ends the stream with invalid_upstream_event`, async () => {
      const user = await env.user();
      respond(env, ingress.upstream, (response) => {
        response.writeHead(200, { "content-type": "text/event-stream" });
        response.write(FIRST_EVENT[ingress.upstream]);
        response.end(DEEP_EVENT[ingress.upstream]);
      });
      const { headers, body } = requestOf(ingress, user, true);
      const raw = await postRaw(env, ingress.path, headers, body);
      assert.equal(raw.status, 200);
      assert.ok(raw.text.length < 64 * 1024, "the deep event is never relayed");
      const events = sseEvents(raw.text.replace(/(^|\n)data: \[DONE\]\n\n/g, "$1"));
      const last = events.at(-1);
      assert.ok(last !== undefined, raw.text.slice(0, 400));
      const error = (last.data as { error?: { code?: string } }).error;
      assert.equal(error?.code, "invalid_upstream_event", raw.text.slice(0, 400));
    });
  }
});
