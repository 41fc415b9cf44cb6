/** @module test/gateway/anthropic-upstream-keys.test
 * Keys on translated and passed-through routes: a rejected user key echoed by the provider never reaches the
 * client or the log, the operator's key is never tried in its place, and the custom endpoint on /v1/messages
 * stays behind the egress guard.
 */
import assert from "node:assert/strict";
import type http from "node:http";
import { after, before, describe, test } from "node:test";
import { scriptedResolver } from "../egress/support/scripted-resolver.ts";
import {
  ANTHROPIC_OPERATOR_KEY,
  type AnthropicGateway,
  type AnthropicGatewayUser,
  anthropicHeaders,
  CLAUDE_MODEL,
  CUSTOM_USER_KEY,
  postRaw,
  startAnthropicGateway,
  withRequests,
  writeAnthropicEvent,
} from "../support/anthropic-gateway.ts";
import { OPERATOR_KEYS } from "../support/model-gateway.ts";
import { assertValidErrorResponse } from "../support/openai-schema.ts";

const CANARY = "sk-ant-canary-5f3a9c1e7b2d4f6a8c0e2b4d6f8a0c2e";
const OPENAI_CANARY = "sk-proj-canary-9e8d7c6b5a4f3e2d1c0b9a8f7e6d";
const hi = [{ role: "user", content: "Say hello" }];

/** Neither the whole key nor a recognisable part of it is in `text`. */
function assertNoKey(text: string, key: string, where: string): void {
  assert.ok(!text.includes(key), `${where} carries the key`);
  assert.ok(!text.includes(key.slice(-16)), `${where} carries the key's tail`);
}

const INGRESSES = [
  { name: "/v1/chat/completions (translated)", path: "/v1/chat/completions", envelope: "openai" },
  { name: "/v1/messages (passed through)", path: "/v1/messages", envelope: "anthropic" },
] as const;

describe("a user Anthropic key the provider rejects", () => {
  let env: AnthropicGateway;
  let user: AnthropicGatewayUser;
  before(async () => {
    env = await startAnthropicGateway();
    user = await env.user({ anthropic: CANARY });
  });
  after(() => env.close());

  for (const ingress of INGRESSES) {
    for (const stream of [false, true]) {
      test(`${ingress.name}, ${stream ? "streaming" : "plain"}: 401, key redacted, operator key never tried`, async () => {
        env.anthropic.failNext(401, { type: "authentication_error", message: "invalid x-api-key: {{key}}" });
        const headers =
          ingress.envelope === "anthropic"
            ? anthropicHeaders(user)
            : { authorization: `Bearer ${user.token}`, ...user.headers };
        // `claude` allows operator fallback for key-less users: a holder's rejected key must still not fall back.
        const { result, requests } = await withRequests(env.anthropic, () =>
          postRaw(env, ingress.path, headers, { model: "claude", max_tokens: 64, stream, messages: hi }),
        );
        assert.equal(result.status, 401, result.text);
        assert.equal(result.headers.get("x-byok-route"), `anthropic/${CLAUDE_MODEL}; source=byok`);
        assertNoKey(result.text, CANARY, "the client's error body");
        assertNoKey(result.text, ANTHROPIC_OPERATOR_KEY, "the client's error body");
        if (ingress.envelope === "anthropic") {
          const body = result.json as {
            type: string;
            error: { type: string; gateway_type: string; message: string };
          };
          assert.equal(body.type, "error");
          assert.equal(body.error.type, "authentication_error", "Anthropic's own type, kept");
          assert.equal(body.error.gateway_type, "upstream_rejected");
          assert.match(body.error.message, /invalid x-api-key/, "the provider's message is kept, redacted");
        } else {
          assertValidErrorResponse(result.json);
          assert.equal((result.json as { error: { type: string } }).error.type, "upstream_rejected");
        }
        assert.deepEqual(
          requests.map((request) => request.headers["x-api-key"]),
          [CANARY],
          "exactly one upstream call, on the user's key",
        );
        for (const line of env.gateway.logs) assertNoKey(line, CANARY, "a log line");
      });
    }
  }
});

describe("a mid-stream error event quoting the key it was sent", () => {
  let env: AnthropicGateway;
  const users: Record<"byok" | "operator", AnthropicGatewayUser | null> = { byok: null, operator: null };
  before(async () => {
    env = await startAnthropicGateway();
    users.byok = await env.user({ anthropic: CANARY });
    users.operator = await env.user();
  });
  after(() => env.close());

  const keyOf = { byok: CANARY, operator: ANTHROPIC_OPERATOR_KEY } as const;

  for (const source of ["byok", "operator"] as const) {
    test(`${source}-served, translated to OpenAI chunks: the key is redacted`, async () => {
      const user = users[source]!;
      env.anthropic.respondNext(echoKeyMidStream);
      const response = await postRaw(
        env,
        "/v1/chat/completions",
        { authorization: `Bearer ${user.token}`, ...user.headers },
        { model: "claude", stream: true, messages: hi },
      );
      assert.equal(response.status, 200);
      assert.match(response.text, /"error"/, "the stream ends in an error event");
      assertNoKey(response.text, keyOf[source], "the translated stream");
    });

    test(`${source}-served, passed through on /v1/messages: the key is redacted`, async () => {
      const user = users[source]!;
      env.anthropic.respondNext(echoKeyMidStream);
      const response = await postRaw(env, "/v1/messages", anthropicHeaders(user), {
        model: "claude",
        max_tokens: 64,
        stream: true,
        messages: hi,
      });
      assert.equal(response.status, 200);
      assert.match(response.text, /event: error/);
      assertNoKey(response.text, keyOf[source], "the passed-through stream");
    });
  }

  test("operator-served, passed through on an OpenAI route (the same relay): the key is redacted", async () => {
    env.fakes.openai.respondNext((request, res) => {
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
      const start = { index: 0, delta: { role: "assistant", content: "" }, finish_reason: null };
      const first = { id: "c1", object: "chat.completion.chunk", created: 1, model: "m", choices: [start] };
      res.write(`data: ${JSON.stringify(first)}\n\n`);
      const message = `bad key ${request.headers.authorization}`;
      res.end(`data: ${JSON.stringify({ error: { message, type: "server_error" } })}\n\n`);
    });
    const user = users.operator!;
    const response = await postRaw(
      env,
      "/v1/chat/completions",
      { authorization: `Bearer ${user.token}` },
      { model: "gpt", stream: true, messages: hi },
    );
    assert.equal(response.headers.get("x-byok-route"), "openai/gpt-4.1-mini; source=operator");
    assert.match(response.text, /"error"/);
    assertNoKey(response.text, OPERATOR_KEYS.openai, "the passed-through stream");
  });
});

/** A stream that starts, then fails with an error event whose message quotes the x-api-key it received. */
async function echoKeyMidStream(
  request: { headers: Readonly<Record<string, string>> },
  res: http.ServerResponse,
): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
  writeAnthropicEvent(res, {
    type: "message_start",
    message: {
      id: "msg_echo",
      type: "message",
      role: "assistant",
      model: CLAUDE_MODEL,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 3, output_tokens: 1 },
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
    delta: { type: "text_delta", text: "Hi" },
  });
  writeAnthropicEvent(res, {
    type: "error",
    error: { type: "authentication_error", message: `key ${request.headers["x-api-key"]} was revoked` },
  });
  res.end();
}

describe("a user OpenAI key rejected behind /v1/messages (translated)", () => {
  let env: AnthropicGateway;
  before(async () => {
    env = await startAnthropicGateway();
  });
  after(() => env.close());

  test("401 in Anthropic's envelope, key redacted, the operator's OpenAI key never tried", async () => {
    const user = await env.user({ openai: OPENAI_CANARY });
    env.fakes.openai.failNext(401, {
      message: "Incorrect API key provided: {{key}}",
      code: "invalid_api_key",
    });
    const { result, requests } = await withRequests(env.fakes.openai, () =>
      postRaw(env, "/v1/messages", anthropicHeaders(user), { model: "gpt", max_tokens: 64, messages: hi }),
    );
    assert.equal(result.status, 401, result.text);
    assert.equal((result.json as { type: string }).type, "error");
    assertNoKey(result.text, OPENAI_CANARY, "the client's error body");
    assert.deepEqual(
      requests.map((request) => request.headers.authorization),
      [`Bearer ${OPENAI_CANARY}`],
    );
    assert.ok(!JSON.stringify(requests).includes(OPERATOR_KEYS.openai));
  });
});

describe("the custom endpoint on /v1/messages stays behind the egress guard", () => {
  let env: AnthropicGateway;
  const host = "models.rebind.test";
  // Enrollment sees a public address; the connection's own resolution answers loopback, which is denied.
  const resolver = scriptedResolver({ [host]: [["93.184.215.14"], ["127.0.0.1"]] });
  before(async () => {
    env = await startAnthropicGateway({
      egress: { allowHttpHosts: [host] },
      egressResolver: resolver.resolve,
    });
  });
  after(() => env.close());

  test("a name rebinding to loopback: 403 custom_endpoint_refused in Anthropic's envelope", async () => {
    const port = new URL(env.fakes.custom.origin).port;
    const user = await env.user(
      { custom: CUSTOM_USER_KEY },
      { baseUrl: `http://${host}:${port}/v1`, model: "m" },
    );
    const { result, requests } = await withRequests(env.fakes.custom, () =>
      postRaw(env, "/v1/messages", anthropicHeaders(user), {
        model: "custom_only",
        max_tokens: 64,
        stream: true,
        messages: hi,
      }),
    );
    assert.equal(result.status, 403, result.text);
    const body = result.json as { type: string; error: { type: string; gateway_type: string } };
    assert.equal(body.type, "error");
    assert.equal(body.error.type, "permission_error");
    assert.equal(body.error.gateway_type, "custom_endpoint_refused");
    assert.doesNotMatch(result.text, /127\.0\.0\.1/);
    assert.equal(requests.length, 0, "nothing reached the internal address");
    assert.ok(resolver.calls(host) >= 2, "the connection resolved the name again and was checked");
  });
});
