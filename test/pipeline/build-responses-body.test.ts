/**
 * @module test/pipeline/build-responses-body
 * The Responses body passed through to OpenAI: route model and defaults (a chat token limit read as
 * `max_output_tokens`), prompt-cache binding, the reservation bound, and stored state refused on the
 * operator's key (the field named, `input[i]` for an item reference) unless the operator allows it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { isGatewayError } from "../../src/errors/gateway-error.ts";
import { SecretKey } from "../../src/keys/index.ts";
import { derivePromptCacheKey } from "../../src/pipeline/bind-prompt-cache-key.ts";
import { buildResponsesBody } from "../../src/pipeline/build-responses-body.ts";
import { buildChatBody } from "../../src/pipeline/build-upstream-body.ts";
import { openaiProvider } from "../../src/providers/openai/openai-provider.ts";
import type { Route } from "../../src/routing/index.ts";

const route = (overrides: Partial<Route> = {}): Route => ({
  feature: "gpt",
  provider: "openai",
  connection: "openai",
  model: "gpt-4.1-mini",
  source: "operator",
  key: new SecretKey("sk-operator-test-000000000000"),
  baseUrl: "https://api.openai.com/v1",
  headers: {},
  guarded: false,
  params: {},
  capabilities: new Set(),
  promptCacheKey: "derive",
  responsesApi: true,
  ...overrides,
});
const secret = new Uint8Array(32).fill(7);
const promptCache = { userId: "u1", secret };
const options = { promptCache, allowStatefulOnOperatorKeys: false };
const parse = (json: string) => JSON.parse(json) as Record<string, unknown>;

test("the route's model and params as defaults; a chat token limit becomes max_output_tokens", () => {
  const built = buildResponsesBody(
    { model: "gpt", input: "hi", temperature: 0.9, stream: true },
    route({ params: { temperature: 0.2, top_p: 0.5, max_tokens: 300 } }),
    openaiProvider,
    options,
  );
  const body = parse(built.json);
  assert.equal(body.model, "gpt-4.1-mini");
  assert.equal(body.temperature, 0.9, "the client's value wins");
  assert.equal(body.top_p, 0.5);
  assert.equal(body.max_output_tokens, 300);
  assert.equal(body.max_tokens, undefined);
  assert.equal(built.maxOutputTokens, 300);
  assert.equal(built.stream, true);
  const own = buildResponsesBody(
    { model: "gpt", input: "hi", max_output_tokens: 40 },
    route({ params: { max_completion_tokens: 300 } }),
    openaiProvider,
    options,
  );
  assert.equal(parse(own.json).max_output_tokens, 40, "the client's limit wins");
  assert.equal(own.maxOutputTokens, 40);
  assert.equal(own.stream, false);
});

test("prompt_cache_key: derived per user and feature, or stripped when the route says off", () => {
  const derived = parse(
    buildResponsesBody({ model: "gpt", input: "hi" }, route(), openaiProvider, options).json,
  );
  assert.equal(derived.prompt_cache_key, derivePromptCacheKey(secret, "u1", "gpt"));
  // Keyed: another server secret derives another key.
  assert.notEqual(derived.prompt_cache_key, derivePromptCacheKey(new Uint8Array(32), "u1", "gpt"));
  const off = parse(
    buildResponsesBody(
      { model: "gpt", input: "hi", prompt_cache_key: "mine" },
      route({ promptCacheKey: "off" }),
      openaiProvider,
      options,
    ).json,
  );
  assert.equal(off.prompt_cache_key, undefined);
});

test("a client's prompt_cache_key: bound to its user on the operator's key, unchanged on the user's own", () => {
  const body = { model: "gpt", input: "hi", prompt_cache_key: "shared" };
  const forward = route({ promptCacheKey: "forward" });
  const sentBy = (userId: string, source: "operator" | "byok") =>
    parse(
      buildResponsesBody(body, { ...forward, source }, openaiProvider, {
        ...options,
        promptCache: { userId, secret },
      }).json,
    ).prompt_cache_key;
  const first = sentBy("u1", "operator");
  const second = sentBy("u2", "operator");
  assert.match(String(first), /^byok-[A-Za-z0-9_-]{32}$/);
  assert.notEqual(first, second, "two users never share a partition");
  assert.equal(first, sentBy("u1", "operator"), "stable per user");
  assert.equal(first, derivePromptCacheKey(secret, "u1", "gpt", "shared"));
  assert.notEqual(first, derivePromptCacheKey(secret, "u1", "gpt"), "never the derived key");
  assert.equal(sentBy("u1", "byok"), "shared");
  assert.equal(sentBy("u2", "byok"), "shared");
  // Chat bodies take the same rule.
  const chat = (userId: string) =>
    parse(
      buildChatBody({ model: "gpt", messages: [], prompt_cache_key: "shared" }, forward, openaiProvider, {
        userId,
        secret,
      }).json,
    ).prompt_cache_key;
  assert.equal(chat("u1"), first);
  assert.notEqual(chat("u2"), first);
});

test("input items are read as messages for the media estimate", () => {
  const built = buildResponsesBody(
    {
      model: "gpt",
      input: [{ role: "user", content: [{ type: "input_image", image_url: "https://example.com/a.png" }] }],
    },
    route(),
    openaiProvider,
    options,
  );
  assert.deepEqual(built.upstream, {
    messages: [{ role: "user", content: [{ type: "input_image", image_url: "https://example.com/a.png" }] }],
  });
});

test("stored state on the operator's key: refused naming the field, unless allowed; the user's key passes", () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ previous_response_id: "resp_1" }, "previous_response_id"],
    [{ conversation: { id: "conv_1" } }, "conversation"],
    [
      {
        input: [
          { role: "user", content: "hi" },
          { type: "item_reference", id: "msg_1" },
        ],
      },
      "input[1]",
    ],
    [{ input: [{ type: "reasoning", id: "rs_1", summary: [] }] }, "input[0].encrypted_content"],
    [{ store: true }, "store"],
  ];
  for (const [fields, param] of cases) {
    const body = { model: "gpt", input: "hi", ...fields };
    assert.throws(
      () => buildResponsesBody(body, route(), openaiProvider, options),
      (error: unknown) =>
        isGatewayError(error) &&
        error.type === "invalid_request" &&
        error.code === "stateful_request_refused" &&
        error.param === param &&
        error.headers["x-byok-route"] === "openai/gpt-4.1-mini; source=operator",
    );
    const allowed = buildResponsesBody(body, route(), openaiProvider, {
      ...options,
      allowStatefulOnOperatorKeys: true,
    });
    assert.deepEqual(parse(allowed.json).input, body.input);
    const byok = buildResponsesBody(body, route({ source: "byok" }), openaiProvider, options);
    assert.equal(
      JSON.stringify(parse(byok.json)[Object.keys(fields)[0]!]),
      JSON.stringify(body[Object.keys(fields)[0] as keyof typeof body]),
    );
  }
  // `null` is no reference.
  assert.doesNotThrow(() =>
    buildResponsesBody(
      { model: "gpt", input: "hi", previous_response_id: null },
      route(),
      openaiProvider,
      options,
    ),
  );
});
