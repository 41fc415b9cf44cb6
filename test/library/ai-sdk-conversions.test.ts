/**
 * @module test/library/ai-sdk-conversions
 * The pure pieces of the AI SDK models: the prompt and call options as a Chat Completions body (checked
 * against OpenAI's published request schema), Deepgram's answer as a transcript, the binding checks, and a
 * seeded property: the answer readers never throw on hostile JSON.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type LanguageModelV4CallOptions, UnsupportedFunctionalityError } from "@ai-sdk/provider";
import fc from "fast-check";
import { buildChatBody } from "../../src/library/ai-sdk/build-chat-body.ts";
import { chatCompletionToResult } from "../../src/library/ai-sdk/chat-completion-to-result.ts";
import { readEmbeddings } from "../../src/library/ai-sdk/create-embedding-model.ts";
import { deepgramAnswerToTranscript } from "../../src/library/ai-sdk/deepgram-answer-to-transcript.ts";
import { promptToOpenAiMessages } from "../../src/library/ai-sdk/prompt-to-openai-messages.ts";
import { checkModelOptions, resolveModelCall } from "../../src/library/ai-sdk/resolve-model-call.ts";
import { noByokContext } from "../../src/validation/byok-context.ts";
import { assertMatchesSchema } from "../support/openai-schema.ts";

const PROMPT: LanguageModelV4CallOptions["prompt"] = [
  { role: "system", content: "Be brief." },
  { role: "user", content: [{ type: "text", text: "Weather in Paris?" }] },
  {
    role: "assistant",
    content: [
      { type: "reasoning", text: "thinking" },
      { type: "tool-call", toolCallId: "call_1", toolName: "weather", input: { city: "Paris" } },
    ],
  },
  {
    role: "tool",
    content: [
      {
        type: "tool-result",
        toolCallId: "call_1",
        toolName: "weather",
        output: { type: "json", value: { t: 21 } },
      },
      {
        type: "tool-result",
        toolCallId: "call_2",
        toolName: "weather",
        output: { type: "execution-denied", reason: "not allowed" },
      },
    ],
  },
];

test("a whole conversation with tools becomes valid Chat Completions messages", () => {
  const { body, warnings } = buildChatBody(
    "agent",
    {
      prompt: PROMPT,
      tools: [
        {
          type: "function",
          name: "weather",
          description: "w",
          inputSchema: { type: "object", properties: {} },
        },
        { type: "provider", id: "openai.web_search", name: "web_search", args: {} },
      ],
      toolChoice: { type: "tool", toolName: "weather" },
      responseFormat: { type: "json" },
      presencePenalty: 0.1,
    },
    true,
  );
  assertMatchesSchema("CreateChatCompletionRequest", body);
  assert.deepEqual(body.messages, [
    { role: "system", content: "Be brief." },
    { role: "user", content: "Weather in Paris?" },
    {
      role: "assistant",
      content: null,
      tool_calls: [
        { id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
      ],
    },
    { role: "tool", tool_call_id: "call_1", content: '{"t":21}' },
    { role: "tool", tool_call_id: "call_2", content: "not allowed" },
  ]);
  assert.deepEqual(body.tool_choice, { type: "function", function: { name: "weather" } });
  assert.deepEqual(body.response_format, { type: "json_object" });
  assert.deepEqual(body.stream_options, { include_usage: true });
  assert.equal((body.tools as unknown[]).length, 1);
  assert.deepEqual(
    warnings.map((warning) => (warning as { feature: string }).feature),
    ["reasoning parts in assistant messages", "provider-defined tool openai.web_search"],
  );
});

test("files other than images (and text) are refused clearly", () => {
  assert.throws(
    () =>
      promptToOpenAiMessages([
        {
          role: "user",
          content: [{ type: "file", mediaType: "audio/wav", data: { type: "data", data: "AAAA" } }],
        },
      ]),
    (error: unknown) => UnsupportedFunctionalityError.isInstance(error) && /audio\/wav/.test(error.message),
  );
  const { messages } = promptToOpenAiMessages([
    {
      role: "user",
      content: [
        { type: "file", mediaType: "text/plain", data: { type: "text", text: "notes" } },
        {
          type: "file",
          mediaType: "image/jpeg",
          data: { type: "url", url: new URL("https://example.com/a.jpg") },
        },
      ],
    },
  ]);
  assert.deepEqual(messages[0]!.content, [
    { type: "text", text: "notes" },
    { type: "image_url", image_url: { url: "https://example.com/a.jpg" } },
  ]);
});

test("Deepgram's answer: utterances, else paragraphs' sentences, else the words' span; unreadable is null", () => {
  const words = [
    { word: "hi", punctuated_word: "Hi", start: 0.5, end: 0.9 },
    { word: "there", start: 1, end: 1.4 },
  ];
  const channel = (extra: object) => ({
    results: {
      channels: [{ alternatives: [{ transcript: "Hi there", words, ...extra }], detected_language: "de" }],
    },
    metadata: { duration: 3 },
  });
  const plain = deepgramAnswerToTranscript(channel({}));
  assert.deepEqual(plain?.segments, [{ text: "Hi there", startSecond: 0.5, endSecond: 1.4 }]);
  assert.deepEqual(plain?.words[0], { text: "Hi", startSecond: 0.5, endSecond: 0.9 });
  assert.equal(plain?.language, "de");
  assert.equal(plain?.durationInSeconds, 3);
  const paragraphs = deepgramAnswerToTranscript(
    channel({ paragraphs: { paragraphs: [{ sentences: [{ text: "Hi there.", start: 0.5, end: 1.4 }] }] } }),
  );
  assert.deepEqual(paragraphs?.segments, [{ text: "Hi there.", startSecond: 0.5, endSecond: 1.4 }]);
  const answer = channel({}) as { results: Record<string, unknown> };
  answer.results.utterances = [
    { transcript: "Hi", start: 0.5, end: 0.9 },
    { transcript: "there", start: 1, end: 1.4 },
  ];
  assert.equal(deepgramAnswerToTranscript(answer)?.segments.length, 2);
  assert.equal(deepgramAnswerToTranscript({ results: {} }), null);
  assert.equal(deepgramAnswerToTranscript("nope"), null);
});

test("a model's binding is checked when it is made", () => {
  const byok = noByokContext("ann");
  const context = { principal: { userId: "ann", plan: null, via: "token" as const }, byok };
  assert.throws(() => checkModelOptions({ context, userId: "ann" }), TypeError);
  assert.throws(() => checkModelOptions({ userId: "not a user id" }), TypeError);
  assert.throws(() => checkModelOptions({ userId: "ben", byok }), TypeError);
  assert.throws(() => checkModelOptions({ plan: "pro" }), TypeError);
  assert.throws(() => checkModelOptions({ context, plan: "pro" }), TypeError);
  assert.throws(() => checkModelOptions({ context: { ...context, byok: noByokContext("ben") } }), TypeError);
  const call = resolveModelCall({ userId: "ann", plan: "pro" }, undefined);
  assert.equal(call.userId, "ann");
  assert.equal(call.plan, "pro");
  assert.equal(call.byok.status, "none");
  assert.equal(call.signal.aborted, false);
  assert.equal(resolveModelCall({ context }, undefined).byok, byok);
});

test("property: the answer readers never throw on hostile JSON and give well-typed values", () => {
  const hostile = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.record({
      id: fc.jsonValue({ maxDepth: 1 }),
      created: fc.oneof(fc.double(), fc.string()),
      choices: fc.array(
        fc.record({
          finish_reason: fc.jsonValue({ maxDepth: 1 }),
          message: fc.record({
            content: fc.jsonValue({ maxDepth: 1 }),
            tool_calls: fc.array(
              fc.record({ id: fc.jsonValue({ maxDepth: 1 }), function: fc.jsonValue({ maxDepth: 2 }) }),
            ),
          }),
        }),
        { maxLength: 2 },
      ),
      usage: fc.jsonValue({ maxDepth: 2 }),
      data: fc.array(
        fc.record({ index: fc.jsonValue({ maxDepth: 0 }), embedding: fc.jsonValue({ maxDepth: 1 }) }),
      ),
      results: fc.record({
        channels: fc.array(
          fc.record({
            alternatives: fc.array(
              fc.record({ transcript: fc.jsonValue({ maxDepth: 0 }), words: fc.jsonValue({ maxDepth: 2 }) }),
            ),
          }),
        ),
        utterances: fc.jsonValue({ maxDepth: 2 }),
      }),
    }),
  );
  fc.assert(
    fc.property(hostile, (answer) => {
      const result = chatCompletionToResult(answer, () => "generated");
      for (const part of result.content) {
        if (part.type === "text") assert.equal(typeof part.text, "string");
        if (part.type === "tool-call")
          assert.ok(typeof part.toolName === "string" && typeof part.input === "string");
      }
      for (const count of [result.usage.inputTokens.total, result.usage.outputTokens.total]) {
        assert.ok(count === undefined || (Number.isFinite(count) && count >= 0));
      }
      const vectors = readEmbeddings(answer, 2);
      assert.ok(
        vectors === null || (vectors.length === 2 && vectors.every((vector) => Array.isArray(vector))),
      );
      const transcript = deepgramAnswerToTranscript(answer);
      if (transcript !== null) {
        assert.equal(typeof transcript.text, "string");
        for (const span of [...transcript.segments, ...transcript.words]) {
          assert.ok(Number.isFinite(span.startSecond) && Number.isFinite(span.endSecond));
        }
      }
    }),
    { seed: 1507, numRuns: 500, interruptAfterTimeLimit: 10_000, markInterruptAsFailure: true },
  );
});
