/**
 * @module test/gateway/revocation-cuts-translated-streams
 * A cut call on a translated stream (chat → Anthropic, messages → OpenAI, responses → chat) ends with the cut's own error
 * event in the client's dialect, naming the reason, not the translator's generic "stream truncated".
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  ANTHROPIC_USER_KEY,
  type AnthropicGateway,
  CUSTOM_MODEL,
  CUSTOM_USER_KEY,
  OPENAI_USER_KEY,
  startAnthropicGateway,
} from "../support/anthropic-gateway.ts";
import { call } from "../support/gateway-client.ts";
import { assertFailedEnd, assertValidResponsesStream } from "../support/openai-schema.ts";
import { ADMIN_TOKEN } from "../support/start-gateway.ts";

/** Opens a streamed request that the fake answers with one event and then holds open; reads it to its end. */
async function openStream(
  env: AnthropicGateway,
  path: string,
  headers: Record<string, string>,
  body: unknown,
) {
  const response = await fetch(`${env.gateway.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = decoder.decode((await reader.read()).value, { stream: true });
  const ended = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text;
      text += decoder.decode(value, { stream: true });
    }
  })();
  return { ended };
}

/** The `error` object of the stream's last `data:` line. */
function lastError(text: string): { type?: string; code?: string; gateway_type?: string } {
  const data = text
    .split("\n")
    .filter((line) => line.startsWith("data: ") && line !== "data: [DONE]")
    .at(-1);
  assert.ok(data !== undefined, text);
  return (JSON.parse(data.slice("data: ".length)) as { error: { type?: string; code?: string } }).error;
}

describe("revocation cuts translated streams with the cut's reason", () => {
  let env: AnthropicGateway;
  before(async () => {
    env = await startAnthropicGateway();
  });
  after(() => env.close());

  test("chat → Anthropic: the OpenAI error event says user_revoked", async () => {
    const user = await env.user({ anthropic: ANTHROPIC_USER_KEY });
    const aborted = env.anthropic.nextAbortedResponse();
    const { ended } = await openStream(
      env,
      "/v1/chat/completions",
      { authorization: `Bearer ${user.token}`, ...user.headers },
      { model: "claude", stream: true, messages: [{ role: "user", content: "hang" }] },
    );
    const revoked = await call(env.gateway, "DELETE", `/admin/users/${user.id}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(revoked.status, 200, revoked.text);
    const text = await ended;
    const error = lastError(text);
    assert.deepEqual(
      { type: error.type, code: error.code },
      { type: "invalid_credentials", code: "user_revoked" },
      text,
    );
    await aborted; // the upstream call was aborted with it
  });

  test("messages → OpenAI: the Anthropic error event says user_revoked", async () => {
    const user = await env.user({ openai: OPENAI_USER_KEY });
    const { ended } = await openStream(
      env,
      "/v1/messages",
      { "x-api-key": user.token, "anthropic-version": "2023-06-01", ...user.headers },
      { model: "gpt", stream: true, max_tokens: 64, messages: [{ role: "user", content: "hang" }] },
    );
    const revoked = await call(env.gateway, "DELETE", `/admin/users/${user.id}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(revoked.status, 200, revoked.text);
    const text = await ended;
    assert.match(text, /event: error\n/, text);
    const error = lastError(text);
    assert.deepEqual(
      { type: error.type, gateway_type: error.gateway_type, code: error.code },
      { type: "authentication_error", gateway_type: "invalid_credentials", code: "user_revoked" },
      text,
    );
  });

  test("responses → custom endpoint (chat): the typed error event says user_revoked, then response.failed", async () => {
    const user = await env.user(
      { custom: CUSTOM_USER_KEY },
      { baseUrl: env.fakes.custom.baseUrl, model: CUSTOM_MODEL },
    );
    const aborted = env.fakes.custom.nextAbortedResponse();
    const { ended } = await openStream(
      env,
      "/v1/responses",
      { authorization: `Bearer ${user.token}`, ...user.headers },
      { model: "custom_only", stream: true, input: "hang" },
    );
    const revoked = await call(env.gateway, "DELETE", `/admin/users/${user.id}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(revoked.status, 200, revoked.text);
    const text = await ended;
    const { error: last } = assertFailedEnd(assertValidResponsesStream(text));
    assert.deepEqual({ type: last.type, code: last.code }, { type: "error", code: "user_revoked" }, text);
    await aborted; // the upstream call was aborted with it
  });
});
