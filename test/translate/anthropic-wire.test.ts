/**
 * @module test/translate/anthropic-wire.test
 * The Anthropic wire pieces the provider adapter and the /v1/messages ingress will use: the error envelope,
 * reading an upstream error, reading usage (cumulative message_delta counts laid over message_start).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { GatewayError } from "../../src/errors/gateway-error.ts";
import { toGatewayError } from "../../src/translate/translation-result.ts";
import { toAnthropicErrorBody } from "../../src/wire/anthropic/anthropic-error-body.ts";
import { readAnthropicUsage, totalInputTokens } from "../../src/wire/anthropic/anthropic-usage.ts";
import { readAnthropicError } from "../../src/wire/anthropic/read-anthropic-error.ts";

test("the Anthropic error envelope carries Anthropic's type, the gateway's stable type and only safe fields", () => {
  const error = new GatewayError("byok_key_mismatch", { provider: "anthropic", param: "x-byok-anthropic" });
  assert.deepEqual(toAnthropicErrorBody(error), {
    type: "error",
    error: {
      type: "permission_error",
      message: "A presented key does not match the enrolled fingerprint.",
      gateway_type: "byok_key_mismatch",
      param: "x-byok-anthropic",
      provider: "anthropic",
    },
  });
  const quota = new GatewayError("quota_exceeded", { details: { plan: "free", used: 10, limit: 10 } });
  assert.equal(toAnthropicErrorBody(quota).error.limit, 10);
});

test("an upstream error body reads leniently into a message and Anthropic's error type", () => {
  assert.deepEqual(
    readAnthropicError({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }),
    {
      message: "Overloaded",
      code: "overloaded_error",
    },
  );
  assert.deepEqual(readAnthropicError({ message: "bare" }), { message: "bare", code: null });
  assert.deepEqual(readAnthropicError("<html>"), { message: null, code: null });
  assert.deepEqual(readAnthropicError(null), { message: null, code: null });
});

test("usage: counts laid over a base, junk ignored", () => {
  const start = readAnthropicUsage({
    input_tokens: 10,
    output_tokens: 1,
    cache_read_input_tokens: 5,
    cache_creation_input_tokens: null,
  });
  assert.deepEqual(start, { inputTokens: 10, outputTokens: 1, cacheReadTokens: 5, cacheCreationTokens: 0 });
  assert.ok(start);
  const end = readAnthropicUsage({ output_tokens: 42, input_tokens: -3 }, start);
  assert.deepEqual(end, { inputTokens: 10, outputTokens: 42, cacheReadTokens: 5, cacheCreationTokens: 0 });
  assert.ok(end);
  assert.equal(totalInputTokens(end), 15);
  assert.equal(readAnthropicUsage("x"), null);
});

test("an upstream translation error is a 502 upstream_error", () => {
  const error = toGatewayError({ code: "invalid_upstream_response", message: "bad", param: null });
  assert.equal(error.status, 502);
  assert.equal(error.type, "upstream_error");
  assert.equal(error.param, null);
});
