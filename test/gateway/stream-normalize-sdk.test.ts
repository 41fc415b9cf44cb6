/**
 * @module test/gateway/stream-normalize-sdk
 * Non-conforming backends through the gateway with the official SDKs (issue 14, C): a custom endpoint
 * that streams like llama.cpp (drifting `created`, missing fields, no role, two finish reasons, tool-call
 * deltas without index/type/id) and an Anthropic host with overlapping blocks and `tool_use` starts
 * without `input`. Every chunk the `openai` SDK receives validates against the published schema, with
 * one id/created/model; `@anthropic-ai/sdk`'s `finalMessage()` accepts the repaired stream; the
 * translated paths conform too; `byok_stream_repairs_total` counts each kind once per stream; a
 * conforming stream leaves byte for byte.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type OpenAI from "openai";
import {
  ANTHROPIC_DEVIATIONS,
  ANTHROPIC_TEXT,
  ANTHROPIC_TOOL,
  answerWith,
  DEVIANT_CALLS,
  DEVIANT_TEXT,
  deviantChatStream,
  deviantMessagesStream,
  type OpenAiDeviation,
} from "../peers/deviant-streams.ts";
import {
  ANTHROPIC_USER_KEY,
  type AnthropicGateway,
  type AnthropicGatewayUser,
  anthropicHeaders,
  CUSTOM_MODEL,
  CUSTOM_USER_KEY,
  postRaw,
  sseEvents,
  startAnthropicGateway,
} from "../support/anthropic-gateway.ts";
import { assertAnthropicGrammar } from "../support/anthropic-stream-grammar.ts";
import { assertValidChatCompletionChunk, parseSseData } from "../support/openai-schema.ts";

/** What llama.cpp-like hosts do at once (tool-call quirks apart). */
const LLAMA_LIKE: OpenAiDeviation[] = [
  "created_drift",
  "no_id",
  "no_object",
  "no_role",
  "double_finish",
  "model_drift",
  "sorted_keys",
];
const TOOL_QUIRKS: OpenAiDeviation[] = ["created_drift", "tool_no_index", "tool_no_type", "tool_no_id"];

const tools: OpenAI.ChatCompletionTool[] = DEVIANT_CALLS.map(({ name }) => ({
  type: "function",
  function: { name, parameters: { type: "object", properties: {} } },
}));

/** The repairs counted so far for a provider, by kind. */
async function repairsOf(env: AnthropicGateway, provider: string): Promise<Record<string, number>> {
  const metric = await env.gateway.byok.metrics.streamRepairs.get();
  return Object.fromEntries(
    metric.values
      .filter((value) => value.labels.provider === provider)
      .map((value) => [value.labels.repair, value.value]),
  );
}

/** Asserts chunks validate and share one id, created and model. */
function assertOneStream(chunks: readonly unknown[]): void {
  assert.ok(chunks.length > 2);
  for (const chunk of chunks) assertValidChatCompletionChunk(chunk);
  const first = chunks[0] as OpenAI.ChatCompletionChunk;
  for (const chunk of chunks as OpenAI.ChatCompletionChunk[]) {
    assert.equal(chunk.id, first.id);
    assert.equal(chunk.created, first.created);
    assert.equal(chunk.model, first.model);
  }
}

describe("non-conforming backends through the gateway, with the official SDKs", () => {
  let env: AnthropicGateway;
  let custom: AnthropicGatewayUser;
  let claude: AnthropicGatewayUser;
  before(async () => {
    env = await startAnthropicGateway();
    custom = await env.user(
      { custom: CUSTOM_USER_KEY },
      { baseUrl: env.fakes.custom.baseUrl, model: CUSTOM_MODEL },
    );
    claude = await env.user({ anthropic: ANTHROPIC_USER_KEY });
  });
  after(() => env.close());

  test("openai SDK, create({stream: true}) on a llama.cpp-like custom endpoint: valid chunks, one id/created/model, repairs counted once", async () => {
    const before = await repairsOf(env, "custom");
    env.fakes.custom.respondNext(
      answerWith(deviantChatStream({ deviations: LLAMA_LIKE, model: CUSTOM_MODEL })),
    );
    const stream = await custom.openai.chat.completions.create({
      model: "custom_only",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    assertOneStream(chunks);
    assert.equal(chunks[0]!.model, CUSTOM_MODEL, "the first chunk's model, kept");
    assert.equal(chunks[0]!.choices[0]!.delta.role, "assistant");
    assert.equal(
      chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join(""),
      DEVIANT_TEXT.join(""),
    );
    const finishes = chunks
      .flatMap((chunk) => chunk.choices)
      .filter((choice) => choice.finish_reason !== null);
    assert.deepEqual(
      finishes.map((choice) => choice.finish_reason),
      ["stop"],
    );
    const after = await repairsOf(env, "custom");
    for (const repair of [
      "created_drift",
      "model_drift",
      "missing_field",
      "missing_role",
      "extra_finish_reason",
    ])
      assert.equal((after[repair] ?? 0) - (before[repair] ?? 0), 1, `${repair} counted once for the stream`);
  });

  test("openai SDK, .stream() and finalChatCompletion() with tool-call deltas missing index, type and id", async () => {
    env.fakes.custom.respondNext(answerWith(deviantChatStream({ deviations: TOOL_QUIRKS, tools: true })));
    const received: unknown[] = [];
    const runner = custom.openai.chat.completions.stream({
      model: "custom_only",
      messages: [{ role: "user", content: "weather?" }],
      tools,
    });
    runner.on("chunk", (chunk) => received.push(chunk));
    const completion = await runner.finalChatCompletion();
    assertOneStream(received);
    const calls = completion.choices[0]!.message.tool_calls ?? [];
    assert.equal(completion.choices[0]!.finish_reason, "tool_calls");
    assert.equal(calls.length, 2);
    for (const [index, call] of calls.entries()) {
      assert.equal(call.type, "function");
      assert.ok(typeof call.id === "string" && call.id !== "");
      assert.ok(call.type === "function");
      assert.equal(call.function.name, DEVIANT_CALLS[index]!.name);
      assert.equal(call.function.arguments, DEVIANT_CALLS[index]!.arguments);
    }
    assert.notEqual(calls[0]!.id, calls[1]!.id, "each call its own id");
  });

  test("a conforming stream leaves the gateway byte for byte as the backend sent it", async () => {
    const events = deviantChatStream({ model: CUSTOM_MODEL, usage: true });
    env.fakes.custom.respondNext(answerWith(events));
    const before = await repairsOf(env, "custom");
    const response = await postRaw(
      env,
      "/v1/chat/completions",
      { authorization: `Bearer ${custom.token}`, ...custom.headers },
      {
        model: "custom_only",
        messages: [{ role: "user", content: "hi" }],
        stream: true,
        stream_options: { include_usage: true },
      },
    );
    assert.equal(response.status, 200);
    assert.equal(response.text, events.join(""));
    assert.deepEqual(await repairsOf(env, "custom"), before, "nothing repaired");
  });

  test("@anthropic-ai/sdk finalMessage() accepts a pass-through stream with overlapping blocks and tool_use without input", async () => {
    const before = await repairsOf(env, "anthropic");
    const deviations = [
      ...["overlap", "tool_no_input", "sparse_start", "index_gap", "delta_no_usage"],
      ...["bad_start_types", "late_start", "double_start", "after_stop"],
    ] as const;
    env.anthropic.respondNext(answerWith(deviantMessagesStream({ deviations: [...deviations] })));
    const message = await claude.anthropic.messages
      .stream({ model: "claude", max_tokens: 64, messages: [{ role: "user", content: "weather?" }] })
      .finalMessage();
    assert.equal(message.content.length, 2);
    const [text, tool] = message.content;
    assert.ok(text?.type === "text" && text.text === ANTHROPIC_TEXT.join(""));
    assert.ok(tool?.type === "tool_use");
    assert.equal(tool.id, ANTHROPIC_TOOL.id);
    assert.deepEqual(tool.input, JSON.parse(ANTHROPIC_TOOL.input));
    assert.equal(message.stop_reason, "tool_use");
    const after = await repairsOf(env, "anthropic");
    for (const repair of [
      "block_overlap",
      "tool_input_missing",
      "missing_field",
      "block_index",
      "event_order",
    ])
      assert.equal((after[repair] ?? 0) - (before[repair] ?? 0), 1, `${repair} counted once for the stream`);
  });

  test("the raw pass-through events follow Anthropic's grammar, whatever mix of deviations", async () => {
    for (const deviation of ANTHROPIC_DEVIATIONS) {
      env.anthropic.respondNext(answerWith(deviantMessagesStream({ deviations: [deviation] })));
      const response = await postRaw(env, "/v1/messages", anthropicHeaders(claude), {
        model: "claude",
        max_tokens: 64,
        stream: true,
        messages: [{ role: "user", content: "weather?" }],
      });
      assert.equal(response.status, 200, deviation);
      assertAnthropicGrammar(sseEvents(response.text));
    }
  });

  test("translated: /v1/messages over a llama.cpp-like custom endpoint (tool quirks included) is in Anthropic's grammar", async () => {
    env.fakes.custom.respondNext(
      answerWith(deviantChatStream({ deviations: [...LLAMA_LIKE, ...TOOL_QUIRKS], tools: true })),
    );
    const response = await postRaw(env, "/v1/messages", anthropicHeaders(custom), {
      model: "custom_only",
      max_tokens: 64,
      stream: true,
      messages: [{ role: "user", content: "weather?" }],
      tools: DEVIANT_CALLS.map(({ name }) => ({ name, input_schema: { type: "object" } })),
    });
    assert.equal(response.status, 200);
    const events = sseEvents(response.text);
    assertAnthropicGrammar(events);
    const starts = events.filter((item) => item.event === "content_block_start");
    assert.equal(starts.length, 2, "two tool_use blocks");
    env.fakes.custom.respondNext(answerWith(deviantChatStream({ deviations: LLAMA_LIKE })));
    const message = await custom.anthropic.messages
      .stream({ model: "custom_only", max_tokens: 64, messages: [{ role: "user", content: "hi" }] })
      .finalMessage();
    assert.deepEqual(
      message.content.map((block) => (block.type === "text" ? block.text : block.type)),
      [DEVIANT_TEXT.join("")],
    );
  });

  test("translated: /v1/chat/completions over an Anthropic host with overlapping blocks gives valid chunks", async () => {
    env.anthropic.respondNext(
      answerWith(
        deviantMessagesStream({ deviations: ["overlap", "tool_no_input", "sparse_start", "index_gap"] }),
      ),
    );
    const response = await postRaw(
      env,
      "/v1/chat/completions",
      { authorization: `Bearer ${claude.token}`, ...claude.headers },
      {
        model: "claude",
        stream: true,
        messages: [{ role: "user", content: "weather?" }],
      },
    );
    assert.equal(response.status, 200);
    const chunks = parseSseData(response.text);
    assertOneStream(chunks);
    const calls = (chunks as OpenAI.ChatCompletionChunk[]).flatMap(
      (chunk) => chunk.choices[0]?.delta.tool_calls ?? [],
    );
    assert.equal(calls.map((call) => call.function?.arguments ?? "").join(""), ANTHROPIC_TOOL.input);
  });
});
