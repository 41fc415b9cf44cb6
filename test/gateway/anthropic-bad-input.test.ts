/** @module test/gateway/anthropic-bad-input.test
 * Bad input on either translation direction is a 400 in the ingress protocol's envelope (Anthropic's on
 * /v1/messages, OpenAI's on /v1/chat/completions), never a 500; a missing or wrong token is a 401 in it.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import {
  ANTHROPIC_USER_KEY,
  type AnthropicGateway,
  type AnthropicGatewayUser,
  anthropicHeaders,
  OPENAI_USER_KEY,
  postRaw,
  startAnthropicGateway,
  withRequests,
} from "../support/anthropic-gateway.ts";
import { assertValidErrorResponse } from "../support/openai-schema.ts";

type Json = Record<string, unknown>;
interface AnthropicEnvelope {
  type: string;
  error: { type: string; message: string; param?: string; code?: string };
}

const hi = [{ role: "user" as const, content: "hi" }];
const toolUse = { type: "tool_use", id: "toolu_known", name: "get_weather", input: { city: "Paris" } };
const weather = { name: "get_weather", input_schema: { type: "object" } };
const call = (args: string) => ({
  id: "call_known",
  type: "function",
  function: { name: "get_weather", arguments: args },
});

/** Asserts Anthropic's error envelope and nothing else at the top level. */
function assertAnthropicEnvelope(json: unknown, status: number, expectedStatus: number): AnthropicEnvelope {
  assert.equal(status, expectedStatus, JSON.stringify(json));
  const envelope = json as AnthropicEnvelope;
  assert.deepEqual(Object.keys(envelope).sort(), ["error", "type"]);
  assert.equal(envelope.type, "error");
  assert.equal(typeof envelope.error.type, "string");
  assert.ok(envelope.error.message.length > 0);
  return envelope;
}

/** The /v1/messages bodies the brief names, plus shapes a careless translator would crash on. */
const BAD_MESSAGES: Record<string, Json> = {
  "a tool_result for an unknown tool_use_id": {
    tools: [weather],
    messages: [
      ...hi,
      { role: "assistant", content: [toolUse] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_unknown", content: "sunny" }] },
    ],
  },
  "a tool_result with no tool_use before it": {
    messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_x", content: "x" }] }],
  },
  "a tool whose input_schema is a string": {
    tools: [{ name: "get_weather", input_schema: "nope" }],
    messages: hi,
  },
  "a tool whose input_schema is a list": {
    tools: [{ name: "get_weather", input_schema: [1] }],
    messages: hi,
  },
  "an empty messages list": { messages: [] },
  "messages that is not a list": { messages: "hi" },
  "a null message": { messages: [null] },
  "a null content block": { messages: [{ role: "user", content: [null] }] },
  "a tool_use input that is not an object": {
    messages: [
      ...hi,
      { role: "assistant", content: [{ ...toolUse, input: "x" }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: toolUse.id, content: "x" }] },
    ],
  },
  "tool_choice naming a tool not in tools": {
    tools: [weather],
    tool_choice: { type: "tool", name: "other" },
    messages: hi,
  },
  "a non-integer max_tokens": { max_tokens: "many", messages: hi },
};

/** Shapes the Messages request contract refuses before routing (no route chosen: no X-BYOK-Route). */
const CONTRACT_SHAPES: ReadonlySet<string> = new Set([
  "an empty messages list",
  "messages that is not a list",
  "a null message",
  "a null content block",
  "a non-integer max_tokens",
]);

/** The /v1/chat/completions bodies the brief names, plus other malformed shapes. */
const BAD_CHATS: Record<string, Json> = {
  "a tool message whose tool_call_id answers nothing": {
    messages: [
      ...hi,
      { role: "assistant", content: null, tool_calls: [call("{}")] },
      { role: "tool", tool_call_id: "call_unknown", content: "sunny" },
    ],
  },
  "a tool message with no tool call before it": {
    messages: [...hi, { role: "tool", tool_call_id: "call_x", content: "x" }],
  },
  "invalid JSON in a tool call's arguments": {
    messages: [
      ...hi,
      { role: "assistant", content: null, tool_calls: [call('{"city": "Par')] },
      { role: "tool", tool_call_id: "call_known", content: "sunny" },
    ],
  },
  "tool call arguments that are a JSON list": {
    messages: [
      ...hi,
      { role: "assistant", content: null, tool_calls: [call("[1]")] },
      { role: "tool", tool_call_id: "call_known", content: "sunny" },
    ],
  },
  "a tool whose parameters are a string": {
    tools: [{ type: "function", function: { name: "get_weather", parameters: "nope" } }],
    messages: hi,
  },
  "an empty messages list": { messages: [] },
  "a null message": { messages: [null] },
  "an unknown content part": { messages: [{ role: "user", content: [{ type: "weird" }] }] },
  "a malformed data URL image": {
    messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:nonsense" } }] }],
  },
  "tool_calls that is not a list": {
    messages: [...hi, { role: "assistant", content: null, tool_calls: "x" }],
  },
};

describe("bad input on /v1/messages → 400 in Anthropic's envelope", () => {
  let env: AnthropicGateway;
  let user: AnthropicGatewayUser;
  before(async () => {
    env = await startAnthropicGateway();
    user = await env.user({ anthropic: ANTHROPIC_USER_KEY, openai: OPENAI_USER_KEY });
  });
  after(() => env.close());

  for (const [name, body] of Object.entries(BAD_MESSAGES)) {
    test(`translated to an OpenAI route: ${name}`, async () => {
      const { result, requests } = await withRequests(env.fakes.openai, () =>
        postRaw(env, "/v1/messages", anthropicHeaders(user), { model: "gpt", max_tokens: 64, ...body }),
      );
      const envelope = assertAnthropicEnvelope(result.json, result.status, 400);
      assert.equal(envelope.error.type, "invalid_request_error");
      assert.equal((envelope.error as { gateway_type?: string }).gateway_type, "invalid_request");
      assert.equal(requests.length, 0, "the gateway refused it before any upstream call");
      assert.equal(
        result.headers.get("x-byok-route"),
        CONTRACT_SHAPES.has(name) ? null : "openai/gpt-4.1-mini; source=byok",
      );
    });
  }

  test("the unknown tool_use_id and the bad schema name the field that is wrong", async () => {
    const unknown = await postRaw(env, "/v1/messages", anthropicHeaders(user), {
      model: "gpt",
      max_tokens: 64,
      ...BAD_MESSAGES["a tool_result for an unknown tool_use_id"],
    });
    const envelope = assertAnthropicEnvelope(unknown.json, unknown.status, 400);
    assert.equal(envelope.error.param, "messages[2].content[0].tool_use_id");
    const schema = await postRaw(env, "/v1/messages", anthropicHeaders(user), {
      model: "gpt",
      max_tokens: 64,
      ...BAD_MESSAGES["a tool whose input_schema is a string"],
    });
    assert.equal(
      assertAnthropicEnvelope(schema.json, schema.status, 400).error.param,
      "tools[0].input_schema",
    );
  });

  // (An empty messages list never reaches Anthropic: the request contract refuses it on every route.)
  for (const name of ["a tool_result for an unknown tool_use_id", "a tool whose input_schema is a string"]) {
    test(`passed through to Anthropic: ${name} → Anthropic's 400, keys redacted`, async () => {
      const response = await postRaw(env, "/v1/messages", anthropicHeaders(user), {
        model: "claude",
        max_tokens: 64,
        ...BAD_MESSAGES[name],
      });
      const envelope = assertAnthropicEnvelope(response.json, response.status, 400);
      assert.match(envelope.error.message, /^anthropic: /, "the provider's own message is kept");
      assert.ok(!response.text.includes(ANTHROPIC_USER_KEY));
    });
  }

  test("the Anthropic SDK raises BadRequestError carrying the envelope", async () => {
    const error = await user.anthropic.messages.create({ model: "gpt", max_tokens: 64, messages: [] }).then(
      () => assert.fail("must be refused"),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof Anthropic.BadRequestError, String(error));
    assertAnthropicEnvelope(error.error, error.status, 400);
  });

  test("a body that is not JSON, or not an object → 400", async () => {
    const notJson = await fetch(`${env.gateway.url}/v1/messages`, {
      method: "POST",
      headers: { ...anthropicHeaders(user), "content-type": "application/json" },
      body: '{"model": "gpt",',
    });
    assertAnthropicEnvelope(await notJson.json(), notJson.status, 400);
    const list = await postRaw(env, "/v1/messages", anthropicHeaders(user), [hi]);
    assertAnthropicEnvelope(list.json, list.status, 400);
  });

  test("a missing or wrong token → 401 in Anthropic's envelope; nothing goes upstream", async () => {
    const body = { model: "claude", max_tokens: 64, messages: hi };
    const { "x-api-key": _token, ...noToken } = anthropicHeaders(user);
    const { result, requests } = await withRequests(env.anthropic, async () => [
      await postRaw(env, "/v1/messages", noToken, body),
      await postRaw(env, "/v1/messages", { ...anthropicHeaders(user), "x-api-key": "not-a-token" }, body),
    ]);
    for (const response of result) {
      const envelope = assertAnthropicEnvelope(response.json, response.status, 401);
      assert.equal(envelope.error.type, "authentication_error");
      assert.match(String((envelope.error as { gateway_type?: string }).gateway_type), /credentials/);
    }
    const missing = assertAnthropicEnvelope(result[0]!.json, result[0]!.status, 401);
    assert.equal((missing.error as { gateway_type?: string }).gateway_type, "missing_credentials");
    assert.match(missing.error.message, /x-api-key/, "the message names the header the Anthropic SDK uses");
    assert.equal(requests.length, 0);
    const sdk = new Anthropic({ baseURL: env.gateway.url, apiKey: "not-a-token", maxRetries: 0 });
    const error = await sdk.messages.create(body).then(
      () => assert.fail("must be refused"),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof Anthropic.AuthenticationError, String(error));
  });
});

describe("bad input on /v1/chat/completions to an anthropic route → 400 in OpenAI's envelope", () => {
  let env: AnthropicGateway;
  let user: AnthropicGatewayUser;
  before(async () => {
    env = await startAnthropicGateway();
    user = await env.user({ anthropic: ANTHROPIC_USER_KEY });
  });
  after(() => env.close());

  for (const [name, body] of Object.entries(BAD_CHATS)) {
    test(name, async () => {
      const { result, requests } = await withRequests(env.anthropic, () =>
        postRaw(
          env,
          "/v1/chat/completions",
          { authorization: `Bearer ${user.token}`, ...user.headers },
          { model: "claude", ...body },
        ),
      );
      assert.equal(result.status, 400, result.text);
      assertValidErrorResponse(result.json);
      assert.deepEqual(Object.keys(result.json as Json), ["error"]);
      assert.equal((result.json as { error: { type: string } }).error.type, "invalid_request");
      assert.equal(requests.length, 0, "the gateway refused it before any upstream call");
    });
  }

  test("the openai SDK raises BadRequestError naming the field", async () => {
    const messages = BAD_CHATS["invalid JSON in a tool call's arguments"]!.messages as [];
    const error = await user.openai.chat.completions.create({ model: "claude", messages }).then(
      () => assert.fail("must be refused"),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof OpenAI.BadRequestError, String(error));
    assert.equal(error.param, "messages[1].tool_calls[0].function.arguments");
  });
});
