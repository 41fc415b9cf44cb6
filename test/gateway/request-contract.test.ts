/**
 * @module test/gateway/request-contract
 * One request contract per ingress: the same malformed body sent to a pass-through route and to a
 * translated route (or to two providers) gets the same status, type, `param` and message, before any route
 * is chosen (no X-BYOK-Route) and with no request reaching any fake; unknown fields still pass through.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  ANTHROPIC_FEATURES,
  ANTHROPIC_USER_KEY,
  type AnthropicGateway,
  type AnthropicGatewayUser,
  anthropicHeaders,
  OPENAI_USER_KEY,
  postRaw,
  startAnthropicGateway,
} from "../support/anthropic-gateway.ts";
import { assertValidErrorResponse } from "../support/openai-schema.ts";

type Json = Record<string, unknown>;
interface Refusal {
  readonly status: number;
  readonly type: string;
  readonly param: string | undefined;
  readonly message: string;
  readonly route: string | null;
}

const hi = [{ role: "user", content: "hi" }];

/** Chat bodies (model added per route) and the param each must be refused with. */
const BAD_CHATS: ReadonlyArray<readonly [string, Json, string]> = [
  ["messages a string", { messages: "hello" }, "messages"],
  ["messages empty", { messages: [] }, "messages"],
  ["a message that is null", { messages: [null] }, "messages[0]"],
  ["a message without a role", { messages: [{ content: "hi" }] }, "messages[0].role"],
  ["an unknown role", { messages: [{ role: "robot", content: "hi" }] }, "messages[0].role"],
  ["user content a number", { messages: [{ role: "user", content: 42 }] }, "messages[0].content"],
  ["user content missing", { messages: [...hi, { role: "user" }] }, "messages[1].content"],
  ["a null content part", { messages: [{ role: "user", content: [null] }] }, "messages[0].content[0]"],
  [
    "a tool message without tool_call_id",
    { messages: [...hi, { role: "tool", content: "x" }] },
    "messages[1].tool_call_id",
  ],
  ["tools a string", { messages: hi, tools: "x" }, "tools"],
  ["tools of numbers", { messages: hi, tools: [1] }, "tools"],
  ["stream a string", { messages: hi, stream: "yes" }, "stream"],
  ["n a fraction", { messages: hi, n: 1.5 }, "n"],
  ["n zero", { messages: hi, n: 0 }, "n"],
  ["max_tokens a string", { messages: hi, max_tokens: "10" }, "max_tokens"],
  ["max_completion_tokens a fraction", { messages: hi, max_completion_tokens: 2.5 }, "max_completion_tokens"],
  ["temperature a string", { messages: hi, temperature: "hot" }, "temperature"],
];

/** Messages bodies (model added per route; max_tokens unless the case is about it). */
const BAD_MESSAGES: ReadonlyArray<readonly [string, Json, string]> = [
  ["max_tokens missing", { max_tokens: undefined, messages: hi }, "max_tokens"],
  ["max_tokens a string", { max_tokens: "64", messages: hi }, "max_tokens"],
  ["messages a string", { messages: "hello" }, "messages"],
  ["messages empty", { messages: [] }, "messages"],
  ["a system role in messages", { messages: [{ role: "system", content: "x" }] }, "messages[0].role"],
  ["content a number", { messages: [{ role: "user", content: 42 }] }, "messages[0].content"],
  ["a null content block", { messages: [{ role: "user", content: [null] }] }, "messages[0].content[0]"],
  ["system a number", { messages: hi, system: 42 }, "system"],
  ["a system block that is a string", { messages: hi, system: ["x"] }, "system[0]"],
  ["stream a string", { messages: hi, stream: "yes" }, "stream"],
  ["temperature a string", { messages: hi, temperature: "warm" }, "temperature"],
  ["tools an object", { messages: hi, tools: {} }, "tools"],
  ["stop_sequences of numbers", { messages: hi, stop_sequences: [1] }, "stop_sequences"],
];

const BAD_EMBEDDINGS: ReadonlyArray<readonly [string, Json, string]> = [
  ["input a number", { input: 42 }, "input"],
  ["input empty", { input: [] }, "input"],
  ["input mixed", { input: [1, "a"] }, "input"],
  ["an empty token array", { input: [[]] }, "input"],
  ["input an object", { input: { text: "x" } }, "input"],
  ["dimensions a string", { input: "x", dimensions: "3" }, "dimensions"],
];

function refusalOf(result: { status: number; headers: Headers; json: unknown }): Refusal {
  const error = (result.json as { error: { type: string; param?: string; message: string } }).error;
  return {
    status: result.status,
    type: (error as { gateway_type?: string }).gateway_type ?? error.type,
    param: error.param,
    message: error.message,
    route: result.headers.get("x-byok-route"),
  };
}

describe("one request contract per ingress", () => {
  let env: AnthropicGateway;
  let user: AnthropicGatewayUser;
  const requestsSoFar = () =>
    env.anthropic.requests.length +
    Object.values(env.fakes).reduce((sum, fake) => sum + fake.requests.length, 0);

  before(async () => {
    env = await startAnthropicGateway({
      features: {
        ...ANTHROPIC_FEATURES,
        embed: { routes: [{ provider: "openai", model: "text-embedding-3-small" }] },
        embed_gemini: { routes: [{ provider: "gemini", model: "gemini-embedding-001" }] },
      },
    });
    user = await env.user({ anthropic: ANTHROPIC_USER_KEY, openai: OPENAI_USER_KEY });
  });
  after(() => env.close());

  const openAiHeaders = () => ({ authorization: `Bearer ${user.token}`, ...user.headers });

  /** Sends `body` on `path` under each model; asserts the same refusal everywhere and no upstream request. */
  async function sameRefusal(
    path: string,
    headers: Record<string, string>,
    models: readonly string[],
    body: Json,
    param: string,
  ): Promise<Refusal> {
    const before = requestsSoFar();
    const refusals: Refusal[] = [];
    for (const model of models)
      refusals.push(refusalOf(await postRaw(env, path, headers, { model, ...body })));
    assert.equal(requestsSoFar(), before, "no request reached any provider");
    const [first, ...rest] = refusals;
    assert.equal(first!.status, 400, first!.message);
    assert.equal(first!.type, "invalid_request");
    assert.equal(first!.param, param, first!.message);
    assert.match(first!.message, /^`[^`]+` (must be|is required)/);
    assert.equal(first!.route, null, "refused before a route was chosen");
    for (const other of rest) assert.deepEqual(other, first, "the same refusal on every route");
    return first!;
  }

  for (const [name, body, param] of BAD_CHATS) {
    test(`/v1/chat/completions, ${name}: the same 400 passed through (openai) and translated (anthropic)`, async () => {
      // An unknown name too: the contract runs before routing.
      await sameRefusal(
        "/v1/chat/completions",
        openAiHeaders(),
        ["gpt", "claude", "no-such-model"],
        body,
        param,
      );
      const response = await postRaw(env, "/v1/chat/completions", openAiHeaders(), { model: "gpt", ...body });
      assertValidErrorResponse(response.json);
    });
  }

  for (const [name, body, param] of BAD_MESSAGES) {
    test(`/v1/messages, ${name}: the same 400 passed through (anthropic) and translated (openai)`, async () => {
      const refusal = await sameRefusal(
        "/v1/messages",
        anthropicHeaders(user),
        ["claude", "gpt"],
        { max_tokens: 64, ...body },
        param,
      );
      assert.equal(refusal.status, 400);
      const raw = await postRaw(env, "/v1/messages", anthropicHeaders(user), {
        model: "claude",
        max_tokens: 64,
        ...body,
      });
      const envelope = raw.json as { type: string; error: { type: string } };
      assert.equal(envelope.type, "error");
      assert.equal(envelope.error.type, "invalid_request_error", "Anthropic's own type");
    });
  }

  for (const [name, body, param] of BAD_EMBEDDINGS) {
    test(`/v1/embeddings, ${name}: the same 400 on openai and gemini routes`, async () => {
      await sameRefusal("/v1/embeddings", openAiHeaders(), ["embed", "embed_gemini"], body, param);
    });
  }

  test("/v1/messages/count_tokens takes the Messages contract without max_tokens", async () => {
    await sameRefusal(
      "/v1/messages/count_tokens",
      anthropicHeaders(user),
      ["claude"],
      { messages: "hi" },
      "messages",
    );
    const counted = await postRaw(env, "/v1/messages/count_tokens", anthropicHeaders(user), {
      model: "claude",
      messages: hi,
    });
    assert.notEqual(counted.status, 400, counted.text);
  });

  test("the same mistake reads the same on every ingress", async () => {
    const chat = await sameRefusal(
      "/v1/chat/completions",
      openAiHeaders(),
      ["gpt"],
      { messages: hi, stream: 1 },
      "stream",
    );
    const messages = await sameRefusal(
      "/v1/messages",
      anthropicHeaders(user),
      ["claude"],
      { max_tokens: 64, messages: hi, stream: 1 },
      "stream",
    );
    assert.equal(chat.message, messages.message);
    assert.equal(chat.message, "`stream` must be a boolean.");
  });

  test("unknown fields pass through untouched; spec-allowed nulls are not refused", async () => {
    const before = env.fakes.openai.requests.length;
    const response = await postRaw(env, "/v1/chat/completions", openAiHeaders(), {
      model: "gpt",
      messages: [
        ...hi,
        { role: "assistant", content: null, tool_calls: [] },
        { role: "user", content: "go" },
      ],
      stream: null,
      max_tokens: null,
      vendor_extension: { anything: [1, "two"] },
    });
    assert.equal(response.status, 200, response.text);
    const upstream = env.fakes.openai.requests.slice(before);
    assert.equal(upstream.length, 1);
    assert.deepEqual((upstream[0]!.body as Json).vendor_extension, { anything: [1, "two"] });
  });
});
