/**
 * @module test/peers/openai-schema.test
 * Self-test of the OpenAPI validator: what OpenAI's published schema accepts and rejects, and SSE parsing.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  assertValidChatCompletion,
  assertValidChatCompletionChunk,
  assertValidEmbeddingResponse,
  assertValidErrorResponse,
  assertValidModelList,
  decodeBase64Embedding,
  parseSseData,
  rewriteNullable,
  sseDataPayloads,
  sseDoneCount,
} from "../support/openai-schema.ts";

function completion(): Record<string, unknown> & { choices: Array<Record<string, unknown>> } {
  return {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1_741_570_283,
    model: "gpt-4o-mini",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: "Hello", refusal: null },
        logprobs: null,
        finish_reason: "stop",
      },
    ],
    usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
  };
}

const chunkBase = { id: "chatcmpl-1", object: "chat.completion.chunk", created: 1_741_570_283, model: "m" };

function floatsToBase64(values: readonly number[]): string {
  const bytes = Buffer.alloc(values.length * 4);
  values.forEach((value, index) => {
    bytes.writeFloatLE(value, index * 4);
  });
  return bytes.toString("base64");
}

describe("chat completions", () => {
  test("a correct chat completion passes, with and without tool calls", () => {
    assertValidChatCompletion(completion());
    const withTools = completion();
    withTools.choices[0] = {
      index: 0,
      message: {
        role: "assistant",
        content: null,
        refusal: null,
        tool_calls: [{ id: "call_1", type: "function", function: { name: "weather", arguments: "{}" } }],
      },
      logprobs: null,
      finish_reason: "tool_calls",
    };
    assertValidChatCompletion(withTools);
  });

  test("choices[0].logprobs and message.refusal are required (lenient upstreams omit them)", () => {
    const noLogprobs = completion();
    delete noLogprobs.choices[0]!.logprobs;
    assert.throws(() => assertValidChatCompletion(noLogprobs), {
      name: "AssertionError",
      message: /must have required property 'logprobs'/,
    });
    const noRefusal = completion();
    noRefusal.choices[0]!.message = { role: "assistant", content: "Hello" };
    assert.throws(() => assertValidChatCompletion(noRefusal), /must have required property 'refusal'/);
  });

  test("the failure message carries Ajv's errors and the offending JSON", () => {
    const bad = { ...completion(), created: "yesterday" };
    assert.throws(() => assertValidChatCompletion(bad), /\/created must be integer[\s\S]*"yesterday"/);
  });
});

describe("chat completion chunks", () => {
  test("a usage chunk with choices: [] passes; usage: null and finish_reason: null pass", () => {
    assertValidChatCompletionChunk({
      ...chunkBase,
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    });
    assertValidChatCompletionChunk({
      ...chunkBase,
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }],
      usage: null,
    });
  });

  test("streamed tool call fragments pass; a choice without finish_reason fails", () => {
    assertValidChatCompletionChunk({
      ...chunkBase,
      choices: [
        {
          index: 0,
          delta: { tool_calls: [{ index: 1, function: { arguments: '{"c' } }] },
          finish_reason: null,
        },
      ],
    });
    assert.throws(
      () =>
        assertValidChatCompletionChunk({ ...chunkBase, choices: [{ index: 0, delta: { content: "x" } }] }),
      /must have required property 'finish_reason'/,
    );
  });
});

describe("errors", () => {
  const error = (code: unknown) => ({
    error: { message: "Incorrect API key provided", type: "invalid_request_error", param: null, code },
  });

  test("a numeric code fails", () => {
    assert.throws(() => assertValidErrorResponse(error(401)), /\/error\/code must be string/);
  });

  test("a string or null code passes; param and code are required", () => {
    assertValidErrorResponse(error("invalid_api_key"));
    assertValidErrorResponse(error(null));
    assert.throws(
      () => assertValidErrorResponse({ error: { message: "m", type: "t" } }),
      /must have required property 'param'/,
    );
  });
});

describe("embeddings", () => {
  const response = (embedding: unknown) => ({
    object: "list",
    data: [{ object: "embedding", index: 0, embedding }],
    model: "text-embedding-3-small",
    usage: { prompt_tokens: 2, total_tokens: 2 },
  });

  test("float arrays pass", () => {
    assertValidEmbeddingResponse(response([0.125, -0.5]));
  });

  // The schema's Embedding.embedding is `array of number` only, although the request's encoding_format allows
  // "base64" (the SDK's default): the validator checks the string and validates its decoded float32 form.
  test("a base64 string embedding passes by its decoded form", () => {
    const encoded = floatsToBase64([0.125, -0.5, 3]);
    assert.deepEqual(decodeBase64Embedding(encoded), [0.125, -0.5, 3]);
    assertValidEmbeddingResponse(response(encoded));
  });

  test("malformed base64 and non-float32 lengths fail", () => {
    assert.throws(() => assertValidEmbeddingResponse(response("not base64!")), /not canonical base64/);
    assert.throws(() => assertValidEmbeddingResponse(response("AAAAAAA=")), /whole number of float32/);
    assert.throws(() => assertValidEmbeddingResponse(response([0.1, "x"])), /must be number/);
  });
});

test("model lists", () => {
  assertValidModelList({
    object: "list",
    data: [{ id: "gpt-4o-mini", object: "model", created: 1_686_935_002, owned_by: "openai" }],
  });
  assert.throws(
    () => assertValidModelList({ object: "list", data: [{ id: "x", object: "model" }] }),
    /created/,
  );
});

test("nullable rewriting: plain types and enums gain null, $ref siblings are wrapped", () => {
  assert.deepEqual(rewriteNullable({ type: "string", enum: ["a"], nullable: true }), {
    type: ["string", "null"],
    enum: ["a", null],
  });
  assert.deepEqual(rewriteNullable({ $ref: "#/x", nullable: true }), {
    anyOf: [{ $ref: "#/x" }, { type: "null" }],
  });
  assert.deepEqual(rewriteNullable({ properties: { nullable: { type: "boolean" } } }), {
    properties: { nullable: { type: "boolean" } },
  });
});

test("SSE parsing: events, multi-line data, comments, CRLF and [DONE]", () => {
  const body =
    ': keep-alive\n\ndata: {"a":1}\n\r\ndata: {"b":\ndata: 2}\n\nevent: x\ndata:{"c":3}\n\ndata: [DONE]\n\n';
  assert.deepEqual(parseSseData(body), [{ a: 1 }, { b: 2 }, { c: 3 }]);
  assert.equal(sseDoneCount(body), 1);
  assert.equal(sseDataPayloads(body).at(-1), "[DONE]");
  assert.equal(sseDoneCount("data: [DONE]\n\ndata: [DONE]\n\n"), 2);
  assert.throws(() => parseSseData("data: nope\n\n"), /SSE data is not JSON/);
});
