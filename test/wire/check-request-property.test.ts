/**
 * @module test/wire/check-request-property
 * The request contract checks, seeded and time-bounded: arbitrary JSON never makes one throw and every
 * refusal is a 400 `invalid_request` with a `param`; requests built to the spec pass (unknown fields
 * included); a valid request with one known field given the wrong JSON type is refused naming that field.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import type { GatewayError } from "../../src/errors/gateway-error.ts";
import {
  checkCountTokensRequest,
  checkMessagesRequest,
} from "../../src/wire/anthropic/check-messages-request.ts";
import { checkChatRequest } from "../../src/wire/openai/check-chat-request.ts";
import { checkEmbeddingsRequest } from "../../src/wire/openai/check-embeddings-request.ts";
import { checkResponsesRequest } from "../../src/wire/openai/check-responses-request.ts";

type Body = Record<string, unknown>;
type Check = (body: Readonly<Body>) => GatewayError | null;

const SEED = 1414;
const RUNS = { seed: SEED, numRuns: 300, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: true };

const KNOWN = new Set([
  "model",
  "messages",
  "input",
  "stream",
  "n",
  "max_tokens",
  "max_completion_tokens",
  "temperature",
  "top_p",
  "top_k",
  "tools",
  "tool_choice",
  "stream_options",
  "system",
  "stop_sequences",
  "metadata",
  "encoding_format",
  "dimensions",
  "user",
  "instructions",
  "previous_response_id",
  "store",
  "background",
  "parallel_tool_calls",
  "max_output_tokens",
  "safety_identifier",
  "prompt_cache_key",
  "text",
  "reasoning",
]);
/** Fields no check knows: they must never be refused. */
const unknownFields = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 12 }).filter((key) => !KNOWN.has(key) && key !== "__proto__"),
  fc.jsonValue({ maxDepth: 3 }),
  { maxKeys: 4 },
);
const optional = <T>(field: string, arbitrary: fc.Arbitrary<T>) =>
  fc.option(
    arbitrary.map((value) => ({ [field]: value })),
    { nil: {} },
  );
const merge = (...parts: Body[]): Body => Object.assign({}, ...parts);

const text = fc.string({ maxLength: 20 });
const textPart = text.map((value) => ({ type: "text", text: value }));
const imagePart = fc.webUrl().map((url) => ({ type: "image_url", image_url: { url } }));
const openAiContent = fc.oneof(text, fc.array(fc.oneof(textPart, imagePart), { minLength: 1, maxLength: 3 }));
const toolCall = fc.record({
  id: text,
  type: fc.constant("function"),
  function: fc.record({ name: text, arguments: fc.constant("{}") }),
});
const chatMessage = fc.oneof(
  fc.record({ role: fc.constantFrom("system", "developer", "user"), content: openAiContent }),
  fc.record(
    {
      role: fc.constant("assistant"),
      content: fc.option(openAiContent, { nil: null }),
      tool_calls: fc.array(toolCall, { maxLength: 2 }),
    },
    { requiredKeys: ["role"] },
  ),
  fc.record({ role: fc.constant("tool"), content: openAiContent, tool_call_id: text }),
);
const functionTool = text.map((name) => ({ type: "function", function: { name, parameters: {} } }));

const validChat = fc
  .tuple(
    fc.array(chatMessage, { minLength: 1, maxLength: 5 }),
    optional("stream", fc.option(fc.boolean(), { nil: null })),
    optional("n", fc.integer({ min: 1, max: 8 })),
    optional("max_tokens", fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: null })),
    optional("max_completion_tokens", fc.integer({ min: 1, max: 100_000 })),
    optional("temperature", fc.double({ min: 0, max: 2, noNaN: true })),
    optional("tools", fc.array(functionTool, { maxLength: 3 })),
    unknownFields,
  )
  .map(([messages, ...rest]) => merge({ model: "summary", messages }, ...rest));

const anthropicBlock = fc.oneof(
  textPart,
  fc.record({ type: fc.constant("tool_use"), id: text, name: text, input: fc.constant({}) }),
);
const anthropicMessage = fc.record({
  role: fc.constantFrom("user", "assistant"),
  content: fc.oneof(text, fc.array(anthropicBlock, { maxLength: 3 })),
});
const validMessages = fc
  .tuple(
    fc.array(anthropicMessage, { minLength: 1, maxLength: 5 }),
    fc.integer({ min: 1, max: 100_000 }),
    optional("system", fc.oneof(text, fc.array(textPart, { maxLength: 2 }))),
    optional("stream", fc.boolean()),
    optional("temperature", fc.double({ min: 0, max: 1, noNaN: true })),
    optional("top_k", fc.integer({ min: 1, max: 500 })),
    optional("stop_sequences", fc.array(text, { maxLength: 3 })),
    optional("tools", fc.array(text.map((name) => ({ name, input_schema: { type: "object" } })))),
    unknownFields,
  )
  .map(([messages, max_tokens, ...rest]) => merge({ model: "claude", max_tokens, messages }, ...rest));

const tokens = fc.array(fc.integer({ min: 0, max: 200_000 }), { minLength: 1, maxLength: 8 });
const validEmbeddings = fc
  .tuple(
    fc.oneof(
      text,
      fc.array(text, { minLength: 1, maxLength: 4 }),
      tokens,
      fc.array(tokens, { minLength: 1, maxLength: 3 }),
    ),
    optional("encoding_format", fc.constantFrom("float", "base64")),
    optional("dimensions", fc.integer({ min: 1, max: 3072 })),
    unknownFields,
  )
  .map(([input, ...rest]) => merge({ model: "embed", input }, ...rest));

const responsesPart = fc.oneof(
  text.map((value) => ({ type: "input_text", text: value })),
  fc.webUrl().map((url) => ({ type: "input_image", image_url: url, detail: "auto" })),
);
const responsesItem = fc.oneof(
  fc.record(
    {
      type: fc.constant("message"),
      role: fc.constantFrom("user", "system", "developer", "assistant"),
      content: fc.oneof(text, fc.array(responsesPart, { maxLength: 3 })),
    },
    { requiredKeys: ["role", "content"] },
  ),
  fc.record({ type: fc.constant("function_call"), call_id: text, name: text, arguments: fc.constant("{}") }),
  fc.record({ type: fc.constant("function_call_output"), call_id: text, output: text }),
);
const validResponses = fc
  .tuple(
    fc.oneof(text, fc.array(responsesItem, { maxLength: 5 })),
    optional("instructions", fc.option(text, { nil: null })),
    optional("stream", fc.option(fc.boolean(), { nil: null })),
    optional("store", fc.boolean()),
    optional("max_output_tokens", fc.integer({ min: 16, max: 100_000 })),
    optional("temperature", fc.double({ min: 0, max: 2, noNaN: true })),
    optional(
      "tools",
      fc.array(
        text.map((name) => ({ type: "function", name, parameters: {}, strict: true })),
        { maxLength: 3 },
      ),
    ),
    optional("tool_choice", fc.constantFrom("auto", "none", "required")),
    optional("text", fc.constant({ format: { type: "text" } })),
    unknownFields,
  )
  .map(([input, ...rest]) => merge({ model: "agent", input }, ...rest));

/** JSON values of every type but the one a field wants (and never `undefined`, which means absent). */
const wrongType = (field: string): fc.Arbitrary<unknown> => {
  const kinds: Record<string, fc.Arbitrary<unknown>> = {
    stream: fc.oneof(fc.integer(), text, fc.constant({})),
    n: fc.oneof(fc.double({ min: 0.1, max: 0.9 }), text, fc.boolean()),
    max_tokens: fc.oneof(fc.double({ min: 1.1, max: 1.9 }), text, fc.constant([])),
    max_output_tokens: fc.oneof(fc.double({ min: 16.1, max: 16.9 }), text, fc.constant([])),
    temperature: fc.oneof(text, fc.boolean(), fc.constant({})),
    tools: fc.oneof(text, fc.integer(), fc.constant({}), fc.constant([1])),
    messages: fc.oneof(text, fc.integer(), fc.constant({}), fc.constant([])),
    input: fc.oneof(fc.integer(), fc.boolean(), fc.constant({}), fc.constant([]), fc.constant([[]])),
  };
  return kinds[field]!;
};

function assertRefusal(refused: GatewayError | null, param?: string): void {
  assert.ok(refused !== null, "refused");
  assert.equal(refused.status, 400);
  assert.equal(refused.type, "invalid_request");
  assert.equal(typeof refused.param, "string");
  assert.match(refused.message, /^`[^`]+` (must be|is required)/);
  if (param !== undefined) assert.equal(refused.param, param, refused.message);
}

const CHECKS: Record<string, Check> = {
  checkChatRequest,
  checkEmbeddingsRequest,
  checkMessagesRequest,
  checkCountTokensRequest,
  checkResponsesRequest,
};

describe("request contract checks", () => {
  for (const [name, check] of Object.entries(CHECKS)) {
    test(`${name}: arbitrary JSON never throws; a refusal is a 400 with a param`, () => {
      fc.assert(
        fc.property(fc.dictionary(fc.string({ maxLength: 24 }), fc.jsonValue({ maxDepth: 4 })), (body) => {
          const refused = check(body);
          if (refused !== null) assertRefusal(refused);
        }),
        RUNS,
      );
    });
  }

  const valid: Array<[string, Check, fc.Arbitrary<Body>, readonly string[]]> = [
    ["chat", checkChatRequest, validChat, ["stream", "n", "max_tokens", "temperature", "tools", "messages"]],
    [
      "messages",
      checkMessagesRequest,
      validMessages,
      ["stream", "max_tokens", "temperature", "tools", "messages"],
    ],
    ["embeddings", checkEmbeddingsRequest, validEmbeddings, ["input"]],
    [
      "responses",
      checkResponsesRequest,
      validResponses,
      ["stream", "max_output_tokens", "temperature", "tools"],
    ],
  ];
  for (const [name, check, arbitrary, fields] of valid) {
    test(`${name}: requests built to the spec pass, unknown fields included`, () => {
      fc.assert(
        fc.property(arbitrary, (body) => assert.equal(check(body), null)),
        RUNS,
      );
    });
    test(`${name}: one known field of the wrong type is refused naming it`, () => {
      const broken = fc
        .tuple(arbitrary, fc.constantFrom(...fields))
        .chain(([body, field]) =>
          wrongType(field).map((value) => ({ body: { ...body, [field]: value }, field })),
        );
      fc.assert(
        fc.property(broken, ({ body, field }) => assertRefusal(check(body), field)),
        RUNS,
      );
    });
  }

  test("count_tokens is the Messages contract without max_tokens", () => {
    const body = { model: "claude", messages: [{ role: "user", content: "hi" }] };
    assert.equal(checkCountTokensRequest(body), null);
    assertRefusal(checkMessagesRequest(body), "max_tokens");
  });
});
