/**
 * @module test/gateway/operator-cut-and-state
 * Found by the second review of the operator-account fixes: a client cut anywhere before the provider's
 * final usage (before the upstream's headers, during a whole answer, after Anthropic's `message_start`
 * placeholder) is charged the reservation on the operator's key; `store: null` is sent as `false`; an empty
 * `encrypted_content` is no way to name a stored reasoning item; a non-string `prompt_cache_key` is refused.
 */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, test } from "node:test";
import { writeAnthropicEvent } from "../support/anthropic-gateway.ts";
import { call } from "../support/gateway-client.ts";
import {
  METERED_PLAN,
  type ResponsesGateway,
  type ResponsesUser,
  startResponsesGateway,
} from "../support/responses-gateway.ts";

const MAX_OUTPUT = 500;

let env: ResponsesGateway;
before(async () => {
  env = await startResponsesGateway();
});
after(async () => {
  await env.close();
});

async function operatorOutputTokens(user: ResponsesUser): Promise<number> {
  const report = await call(env.gateway, "GET", "/v1/usage", { token: user.token });
  return (report.body as { usage: { operator: { output_tokens: number } } }).usage.operator.output_tokens;
}

function anthropicStart(response: ServerResponse): void {
  response.writeHead(200, { "content-type": "text/event-stream" });
  writeAnthropicEvent(response, {
    type: "message_start",
    message: {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "claude-fake-1",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 1 },
    },
  });
  writeAnthropicEvent(response, {
    type: "content_block_start",
    index: 0,
    content_block: { type: "text", text: "" },
  });
  writeAnthropicEvent(response, {
    type: "content_block_delta",
    index: 0,
    delta: { type: "text_delta", text: "The" },
  });
}

const ANTHROPIC_CASES = [
  ["/v1/responses", { model: "claude", input: "prove it", stream: true, max_output_tokens: MAX_OUTPUT }],
  [
    "/v1/messages",
    {
      model: "claude",
      messages: [{ role: "user", content: "prove it" }],
      stream: true,
      max_tokens: MAX_OUTPUT,
    },
  ],
  [
    "/v1/chat/completions",
    {
      model: "claude",
      messages: [{ role: "user", content: "prove it" }],
      stream: true,
      max_tokens: MAX_OUTPUT,
    },
  ],
] as const;

for (const [path, body] of ANTHROPIC_CASES) {
  test(`an operator Anthropic stream on ${path} cut after message_start is charged the reservation`, async () => {
    const user = await env.user({}, METERED_PLAN);
    env.anthropic.respondNext((_request, response) => anthropicStart(response));
    const controller = new AbortController();
    const response = await fetch(`${env.gateway.url}${path}`, {
      method: "POST",
      signal: controller.signal,
      headers: {
        authorization: `Bearer ${user.token}`,
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
      },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let seen = "";
    while (!seen.includes("The")) {
      const chunk = await reader.read();
      if (chunk.done) break;
      seen += new TextDecoder().decode(chunk.value);
    }
    const closed = env.anthropic.nextAbortedResponse();
    controller.abort();
    await closed;
    await env.gateway.waitForLog(`"served":{"userId":"${user.id}"`);
    assert.equal(await operatorOutputTokens(user), MAX_OUTPUT);
  });
}

/** Sends a call the fake holds unanswered, cuts it from the client, and waits until it is reported. */
async function cutWhileHeld(user: ResponsesUser, path: string, body: object): Promise<void> {
  let held: ServerResponse | undefined;
  const answered = new Promise<void>((resolve) => {
    env.openai.respondNext((_request, response) => {
      held = response;
      resolve();
    });
  });
  const controller = new AbortController();
  const pending = fetch(`${env.gateway.url}${path}`, {
    method: "POST",
    signal: controller.signal,
    headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  }).catch((error: unknown) => error);
  await answered;
  assert.ok(held !== undefined);
  const closed = env.openai.nextAbortedResponse();
  controller.abort();
  await pending;
  await closed.catch(() => undefined);
  await env.gateway.waitForLog(`"served":{"userId":"${user.id}"`);
}

for (const [what, path, body] of [
  [
    "a Responses stream before the upstream's headers",
    "/v1/responses",
    { model: "gpt", input: "x".repeat(4000), stream: true, max_output_tokens: MAX_OUTPUT },
  ],
  [
    "a whole Responses answer",
    "/v1/responses",
    { model: "gpt", input: "x".repeat(4000), max_output_tokens: MAX_OUTPUT },
  ],
  [
    "a whole chat answer",
    "/v1/chat/completions",
    { model: "gpt", messages: [{ role: "user", content: "x".repeat(4000) }], max_tokens: MAX_OUTPUT },
  ],
] as const) {
  test(`the client cutting ${what} on the operator's key is charged the reservation`, async () => {
    const user = await env.user({}, METERED_PLAN);
    await cutWhileHeld(user, path, body);
    assert.equal(await operatorOutputTokens(user), MAX_OUTPUT);
  });
}

test("store: null reaches the operator's account as false", async () => {
  const user = await env.user({});
  const before = env.openai.requests.length;
  const response = await call(env.gateway, "POST", "/v1/responses", {
    token: user.token,
    body: { model: "gpt", input: "hi", store: null },
  });
  assert.equal(response.status, 200);
  const sent = env.openai.requests[before];
  assert.ok(sent !== undefined, "sent upstream");
  assert.equal((sent.body as { store?: unknown }).store, false);
});

test("an empty encrypted_content does not let a reasoning item name a stored one on the operator's key", async () => {
  const user = await env.user({});
  const before = env.openai.requests.length;
  const response = await call(env.gateway, "POST", "/v1/responses", {
    token: user.token,
    body: {
      model: "gpt",
      input: [
        { type: "reasoning", id: "rs_stored_elsewhere", encrypted_content: "", summary: [] },
        { role: "user", content: "hi" },
      ],
    },
  });
  assert.equal(response.status, 400);
  assert.equal((response.body as { error: { param: string } }).error.param, "input[0].encrypted_content");
  assert.equal(env.openai.requests.length, before, "nothing sent upstream");
});

test("a prompt_cache_key that is not a string is refused by the chat contract, before routing", async () => {
  const user = await env.user({});
  const before = env.openai.requests.length;
  for (const key of [12345, ["shared"], { k: "shared" }, true]) {
    const response = await call(env.gateway, "POST", "/v1/chat/completions", {
      token: user.token,
      body: { model: "gpt", messages: [{ role: "user", content: "hi" }], prompt_cache_key: key },
    });
    assert.equal(response.status, 400, JSON.stringify(key));
    assert.equal((response.body as { error: { param: string } }).error.param, "prompt_cache_key");
  }
  assert.equal(env.openai.requests.length, before, "nothing sent upstream");
});
