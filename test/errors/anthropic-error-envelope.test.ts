/** @module test/errors/anthropic-error-envelope
 * Issue 12, finding 10: Anthropic-format errors carry one of Anthropic's fixed types in `error.type` (mapped
 * from the catalog by a table this test keeps complete), the gateway's own in `error.gateway_type`; errors
 * from an Anthropic upstream keep Anthropic's type; the official SDK raises the matching classes. */
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, describe, test } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import { ANTHROPIC_ERROR_TYPES, type ErrorType, errorCatalog } from "../../src/errors/index.ts";
import { ANTHROPIC_TYPE_OF } from "../../src/wire/anthropic/map-anthropic-error-type.ts";
import {
  ANTHROPIC_USER_KEY,
  type AnthropicGateway,
  type AnthropicGatewayUser,
  anthropicHeaders,
  postRaw,
  sseEvents,
  startAnthropicGateway,
} from "../support/anthropic-gateway.ts";

/** Anthropic's documented status for each of its types (docs.anthropic.com, "Errors"). */
const EXACT_STATUS: Partial<Record<string, number>> = {
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
};

test("every catalog type maps to one of Anthropic's types, agreeing with its status", () => {
  const table: Readonly<Record<string, string>> = ANTHROPIC_TYPE_OF;
  for (const [type, entry] of Object.entries(errorCatalog)) {
    const mapped = table[type];
    assert.ok(mapped !== undefined, `${type} has no Anthropic type in ANTHROPIC_TYPE_OF`);
    assert.ok((ANTHROPIC_ERROR_TYPES as readonly string[]).includes(mapped), `${type} → ${mapped}`);
    const exact = EXACT_STATUS[mapped];
    if (exact !== undefined) assert.equal(entry.status, exact, `${type} → ${mapped}`);
    else if (mapped === "invalid_request_error") assert.ok(entry.status < 500, `${type} → ${mapped}`);
    else assert.ok(entry.status >= 500, `${type} → ${mapped}`);
  }
  assert.deepEqual(Object.keys(table).sort(), Object.keys(errorCatalog).sort(), "no stale rows");
});

/** The SDK's error, or a failure when the call succeeded. */
async function sdkError(action: () => Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
  try {
    await action();
  } catch (error) {
    assert.ok(error instanceof Anthropic.APIError, String(error));
    return error;
  }
  assert.fail("the call succeeded");
}

const gatewayTypeOf = (error: InstanceType<typeof Anthropic.APIError>): unknown =>
  (error.error as { error?: { gateway_type?: unknown } } | undefined)?.error?.gateway_type;

describe("Anthropic-format errors over HTTP, read by the official SDK", () => {
  let env: AnthropicGateway;
  let user: AnthropicGatewayUser;
  const hi = [{ role: "user" as const, content: "hi" }];

  before(async () => {
    env = await startAnthropicGateway();
    user = await env.user({ anthropic: ANTHROPIC_USER_KEY });
  });
  after(() => env.close());

  const expectations: ReadonlyArray<{
    name: string;
    run: () => Promise<unknown>;
    sdkClass: abstract new (...args: never[]) => InstanceType<typeof Anthropic.APIError>;
    type: string;
    gatewayType: ErrorType;
  }> = [
    {
      name: "a wrong token",
      run: () =>
        new Anthropic({ baseURL: env.gateway.url, apiKey: "not-a-token", maxRetries: 0 }).messages.create({
          model: "claude",
          max_tokens: 8,
          messages: hi,
        }),
      sdkClass: Anthropic.AuthenticationError,
      type: "authentication_error",
      gatewayType: "invalid_credentials",
    },
    {
      name: "an unknown model",
      run: () => user.anthropic.messages.create({ model: "no-such-feature", max_tokens: 8, messages: hi }),
      sdkClass: Anthropic.NotFoundError,
      type: "not_found_error",
      gatewayType: "model_not_found",
    },
    {
      name: "a malformed request",
      run: () => user.anthropic.messages.create({ model: "gpt", max_tokens: 8, messages: "nope" as never }),
      sdkClass: Anthropic.BadRequestError,
      type: "invalid_request_error",
      gatewayType: "invalid_request",
    },
  ];

  for (const expected of expectations) {
    test(`${expected.name}: ${expected.type}, gateway_type ${expected.gatewayType}`, async () => {
      const error = await sdkError(expected.run);
      assert.ok(error instanceof expected.sdkClass, `${error.constructor.name}: ${error.message}`);
      assert.equal(error.type, expected.type);
      assert.equal(gatewayTypeOf(error), expected.gatewayType);
    });
  }

  test("an Anthropic upstream's 429 keeps rate_limit_error; its 529 keeps overloaded_error", async () => {
    env.anthropic.failNext(429, { type: "rate_limit_error", message: "slow down" });
    const limited = await sdkError(() =>
      user.anthropic.messages.create({ model: "claude", max_tokens: 8, messages: hi }),
    );
    assert.ok(limited instanceof Anthropic.RateLimitError, limited.message);
    assert.equal(limited.type, "rate_limit_error");
    assert.equal(gatewayTypeOf(limited), "upstream_rejected");

    // A 529 is retried once on the same route (routing.retry.maxRetries defaults to 1; "claude" has one
    // route and this BYOK user's plan no operator route): the client gets the second 529.
    env.anthropic.failNext(529, { type: "overloaded_error", message: "busy" });
    env.anthropic.failNext(529, { type: "overloaded_error", message: "still busy" });
    const sentBefore = env.anthropic.requests.length;
    const overloaded = await sdkError(() =>
      user.anthropic.messages.create({ model: "claude", max_tokens: 8, messages: hi }),
    );
    assert.equal(env.anthropic.requests.length - sentBefore, 2, "the 529 was retried once, then answered");
    assert.ok(overloaded instanceof Anthropic.InternalServerError, overloaded.message);
    assert.equal(overloaded.type, "overloaded_error");
    assert.equal(gatewayTypeOf(overloaded), "upstream_error");
  });

  test("an OpenAI upstream's 429 behind /v1/messages is named by its status: rate_limit_error", async () => {
    const operatorUser = await env.user();
    env.fakes.openai.failNext(429, { message: "slow down", type: "requests", code: "weird_custom_code" });
    const limited = await sdkError(() =>
      operatorUser.anthropic.messages.create({ model: "gpt", max_tokens: 8, messages: hi }),
    );
    assert.ok(limited instanceof Anthropic.RateLimitError, limited.message);
    assert.equal(limited.type, "rate_limit_error");
  });

  test("a stream's error event on /v1/messages uses Anthropic's types too", async () => {
    const operatorUser = await env.user();
    env.fakes.openai.respondNext((_request, response: ServerResponse) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.end(`data: ${JSON.stringify({ error: { type: "server_error", message: "boom" } })}\n\n`);
    });
    const answer = await postRaw(env, "/v1/messages", anthropicHeaders(operatorUser), {
      model: "gpt",
      max_tokens: 8,
      stream: true,
      messages: hi,
    });
    const failure = sseEvents(answer.text).find((event) => event.event === "error");
    assert.ok(failure, answer.text);
    const error = (failure.data as { error: Record<string, unknown> }).error;
    assert.equal(error.type, "api_error");
    assert.equal(error.gateway_type, "upstream_error");
  });

  test("the SDK's stream raises the error event with Anthropic's type (overloaded_error kept from the provider)", async () => {
    const operatorUser = await env.user();
    env.fakes.openai.respondNext((_request, response: ServerResponse) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.end(`data: ${JSON.stringify({ error: { type: "overloaded_error", message: "busy" } })}\n\n`);
    });
    const error = await sdkError(async () => {
      const stream = await operatorUser.anthropic.messages.create({
        model: "gpt",
        max_tokens: 8,
        stream: true,
        messages: hi,
      });
      for await (const _event of stream) {
        // drained until the error event
      }
    });
    assert.equal(error.type, "overloaded_error");
    assert.equal(gatewayTypeOf(error), "upstream_error");
  });
});
