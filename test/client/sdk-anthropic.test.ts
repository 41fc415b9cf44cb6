/**
 * @module test/client/sdk-anthropic
 * Tested example: the official `@anthropic-ai/sdk` wired with the kit's headers or fetch wrapper against a
 * real gateway and a loopback fake Anthropic; the call is BYOK-served on the user's Anthropic key.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import { createByokClient } from "../../client/src/create-byok-client.ts";
import { headers } from "../../client/src/headers.ts";
import {
  ANTHROPIC_USER_KEY,
  type AnthropicGateway,
  startAnthropicGateway,
} from "../support/anthropic-gateway.ts";

const KEYS = { anthropic: ANTHROPIC_USER_KEY };
let env: AnthropicGateway;

before(async () => {
  env = await startAnthropicGateway();
});
after(() => env.close());

async function enrolledUser() {
  const { token } = await env.user();
  const byok = createByokClient({ baseUrl: env.gateway.url, token });
  await byok.enroll(KEYS);
  return { token, byok };
}

test("Anthropic SDK with defaultHeaders: headers(keys)", async () => {
  const { token } = await enrolledUser();
  const anthropic = new Anthropic({
    baseURL: env.gateway.url,
    apiKey: token,
    defaultHeaders: headers(KEYS),
    maxRetries: 0,
  });
  const before = env.anthropic.requests.length;
  const { data, response } = await anthropic.messages
    .create({ model: "claude", max_tokens: 64, messages: [{ role: "user", content: "Hello there" }] })
    .withResponse();
  assert.match(response.headers.get("x-byok-route") ?? "", /^anthropic\/.+; source=byok$/);
  assert.equal(data.type, "message");
  const upstream = env.anthropic.requests.slice(before);
  assert.equal(upstream.length, 1);
  assert.equal(upstream[0]!.headers["x-api-key"], ANTHROPIC_USER_KEY, "served on the user's own key");
});

test("Anthropic SDK streaming through the kit's fetch wrapper", async () => {
  const { token, byok } = await enrolledUser();
  const anthropic = new Anthropic({
    baseURL: env.gateway.url,
    apiKey: token,
    fetch: (input, init) => byok.fetch(input, init, KEYS),
    maxRetries: 0,
  });
  const before = env.anthropic.requests.length;
  const stream = anthropic.messages.stream({
    model: "claude_byok",
    max_tokens: 64,
    messages: [{ role: "user", content: "Stream please" }],
  });
  const message = await stream.finalMessage();
  assert.equal(message.role, "assistant");
  const upstream = env.anthropic.requests.slice(before);
  assert.equal(upstream.length, 1);
  assert.equal(upstream[0]!.headers["x-api-key"], ANTHROPIC_USER_KEY);
  const usage = await byok.usage(KEYS);
  assert.equal(usage.usage.byok.requests, 1);
  assert.equal(usage.usage.operator.requests, 0);
});
