/**
 * @module test/translate/translator-bounds.test
 * What an upstream (a user's own custom endpoint included) can make a translator hold or build: names and
 * ids count toward `maxHeldBytes`, at most MAX_STREAM_ITEMS items or blocks per answer (a clean
 * `response_too_large` past either), and answers or requests with 150k blocks end without a RangeError.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { anthropicToOpenAiRequest } from "../../src/translate/anthropic-to-openai-request.ts";
import { createAnthropicToOpenAiStream } from "../../src/translate/anthropic-to-openai-stream.ts";
import { createAnthropicToResponsesStream } from "../../src/translate/anthropic-to-responses-stream.ts";
import { createChatToResponsesStream } from "../../src/translate/chat-chunks-to-responses-events.ts";
import { composeStreamTranslators } from "../../src/translate/compose-stream-translators.ts";
import { openAiToAnthropicRequest } from "../../src/translate/openai-to-anthropic-request.ts";
import { openAiToAnthropicResponse } from "../../src/translate/openai-to-anthropic-response.ts";
import { createOpenAiToAnthropicStream } from "../../src/translate/openai-to-anthropic-stream.ts";
import { ITEM_HELD_BYTES } from "../../src/translate/responses-output-items.ts";
import { MAX_STREAM_ITEMS } from "../../src/translate/stream-failure.ts";
import type { StreamTranslator } from "../../src/translate/stream-translator.ts";
import { assertFailedEnd, assertValidResponsesStream } from "../support/openai-schema.ts";

const SEED = 2604;
const context = { id: "resp_bounds", createdAt: 1, model: "m", request: {} };

const toolChunk = (index: number, id: string, name: string, args = "") =>
  `data: ${JSON.stringify({
    id: "c",
    object: "chat.completion.chunk",
    created: 1,
    model: "m",
    choices: [
      {
        index: 0,
        delta: { tool_calls: [{ index, id, type: "function", function: { name, arguments: args } }] },
        finish_reason: null,
      },
    ],
  })}\n\n`;
const FINISH = `data: ${JSON.stringify({
  id: "c",
  object: "chat.completion.chunk",
  created: 1,
  model: "m",
  choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }],
})}\n\ndata: [DONE]\n\n`;

const anthropicEvent = (type: string, data: object) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const MESSAGE_START = anthropicEvent("message_start", {
  message: {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude",
    content: [],
    stop_reason: null,
    usage: { input_tokens: 1, output_tokens: 0 },
  },
});
const MESSAGE_END =
  anthropicEvent("message_delta", { delta: { stop_reason: "tool_use" }, usage: { output_tokens: 5 } }) +
  anthropicEvent("message_stop", {});

/** Feeds `pieces` and the end; answers all the text written and its largest piece. */
function run(translator: StreamTranslator, pieces: Iterable<string>) {
  let text = "";
  let largest = 0;
  const take = (out: readonly string[]) => {
    for (const piece of out) {
      text += piece;
      largest = Math.max(largest, piece.length);
    }
  };
  for (const piece of pieces) take(translator.push(Buffer.from(piece)));
  take(translator.end());
  return { text, largest };
}

function* toolUseBlocks(count: number) {
  yield MESSAGE_START;
  let batch = "";
  for (let index = 0; index < count; index++) {
    batch +=
      anthropicEvent("content_block_start", {
        index,
        content_block: { type: "tool_use", id: `t${index}`, name: "f", input: {} },
      }) + anthropicEvent("content_block_stop", { index });
    if (batch.length > 65_536) {
      yield batch;
      batch = "";
    }
  }
  yield batch + MESSAGE_END;
}

test("chat → Responses: huge names under new call ids fail with response_too_large, bounded", () => {
  const maxHeldBytes = 1024 * 1024;
  const translator = createChatToResponsesStream({ context, maxHeldBytes });
  const name = "n".repeat(64 * 1024);
  const pieces = function* () {
    for (let index = 0; index < 400; index++) yield toolChunk(0, `call_${index}`, name);
    yield FINISH;
  };
  const { text, largest } = run(translator, pieces());
  assert.equal(translator.failure?.()?.code, "response_too_large");
  // Names were counted: the stream stopped near the cap, not after 25 MiB of names.
  assert.ok(translator.textBytes() > maxHeldBytes && translator.textBytes() < 2 * maxHeldBytes);
  assert.ok(text.length < 2 * maxHeldBytes, `emitted ${text.length}`);
  assert.ok(largest < 256 * 1024, `largest piece ${largest}`);
  const events = assertValidResponsesStream(text);
  assert.equal(assertFailedEnd(events).error.code, "response_too_large");
  assert.ok(!events.some((event) => event.type === "response.completed"));
});

test("chat → Responses: more output items than the cap fail with response_too_large", () => {
  const translator = createChatToResponsesStream({ context });
  const pieces = function* () {
    for (let index = 0; index < MAX_STREAM_ITEMS + 50; index++) yield toolChunk(index, `call_${index}`, "f");
    yield FINISH;
  };
  const { text } = run(translator, pieces());
  const events = assertValidResponsesStream(text);
  assert.equal(assertFailedEnd(events).error.code, "response_too_large");
  const added = events.filter((event) => event.type === "response.output_item.added");
  assert.equal(added.length, MAX_STREAM_ITEMS);
});

test("chat → Responses: text and refusal alternating open parts that count toward the cap (found by review)", () => {
  const translator = createChatToResponsesStream({ context });
  const delta = (field: "content" | "refusal") =>
    `data: ${JSON.stringify({
      id: "c",
      object: "chat.completion.chunk",
      created: 1,
      model: "m",
      choices: [{ index: 0, delta: { [field]: "x" }, finish_reason: null }],
    })}\n\n`;
  const pieces = function* () {
    for (let index = 0; index < MAX_STREAM_ITEMS * 3; index++)
      yield delta(index % 2 === 0 ? "content" : "refusal");
    yield FINISH;
  };
  const { text } = run(translator, pieces());
  const events = assertValidResponsesStream(text);
  assert.equal(assertFailedEnd(events).error.code, "response_too_large");
  const parts = events.filter((event) => event.type === "response.content_part.added");
  assert.ok(parts.length < MAX_STREAM_ITEMS, `${parts.length} parts opened`);
});

test("chat → Responses: exactly the cap of items completes", () => {
  const translator = createChatToResponsesStream({ context });
  const pieces = function* () {
    for (let index = 0; index < MAX_STREAM_ITEMS; index++) yield toolChunk(index, `call_${index}`, "f", "{}");
    yield FINISH;
  };
  const events = assertValidResponsesStream(run(translator, pieces()).text);
  assert.equal(events.at(-1)?.type, "response.completed");
  assert.equal(translator.failure?.() ?? null, null);
});

test("Anthropic → Responses: 150k tool_use blocks end cleanly with response_too_large", () => {
  const translator = createAnthropicToResponsesStream({ context });
  const { text } = run(translator, toolUseBlocks(150_000));
  const events = assertValidResponsesStream(text);
  assert.equal(assertFailedEnd(events).error.code, "response_too_large");
  assert.equal(translator.failure?.()?.code, "response_too_large");
});

test("Anthropic → chat: content blocks past the cap fail with response_too_large", () => {
  const translator = createAnthropicToOpenAiStream({ includeUsage: false });
  const { text } = run(translator, toolUseBlocks(MAX_STREAM_ITEMS + 10));
  assert.equal(translator.failure?.()?.code, "response_too_large");
  assert.match(text, /response_too_large/);
  assert.ok(!text.includes("[DONE]"));
});

test("Anthropic → chat: blocks reopened at one index count each time", () => {
  const translator = createAnthropicToOpenAiStream({ includeUsage: false });
  const reopened = function* () {
    yield MESSAGE_START;
    for (let count = 0; count < MAX_STREAM_ITEMS + 10; count++)
      yield anthropicEvent("content_block_start", {
        index: 0,
        content_block: { type: "tool_use", id: `t${count}`, name: "f", input: {} },
      });
    yield MESSAGE_END;
  };
  const { text } = run(translator, reopened());
  assert.equal(translator.failure?.()?.code, "response_too_large");
  assert.ok(!text.includes(`"t${MAX_STREAM_ITEMS}"`), "nothing is opened past the cap");
});

test("OpenAI → Anthropic stream: tool calls past the cap fail with response_too_large", () => {
  const translator = createOpenAiToAnthropicStream({});
  const pieces = function* () {
    for (let index = 0; index < MAX_STREAM_ITEMS + 10; index++)
      yield toolChunk(0, `call_${index}`, "f", "{}");
    yield FINISH;
  };
  const { text } = run(translator, pieces());
  assert.equal(translator.failure?.()?.code, "response_too_large");
  assert.equal(text.match(/"content_block_start"/g)?.length, MAX_STREAM_ITEMS);
  assert.ok(!text.includes("message_stop"));
});

test("a non-streamed answer with 150k tool calls translates to Anthropic without a RangeError", () => {
  const calls = Array.from({ length: 150_000 }, (_, index) => ({
    id: `call_${index}`,
    type: "function",
    function: { name: "f", arguments: "{}" },
  }));
  const translated = openAiToAnthropicResponse({
    id: "c",
    model: "m",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: null, tool_calls: calls },
        finish_reason: "tool_calls",
      },
    ],
  });
  assert.ok(translated.ok);
  assert.equal(translated.value.content.length, 150_000);
  assert.equal(translated.value.stop_reason, "tool_use");
});

test("requests with 150k blocks translate both ways without a RangeError", () => {
  const uses = Array.from({ length: 150_000 }, (_, index) => ({
    type: "tool_use",
    id: `t${index}`,
    name: "f",
    input: {},
  }));
  const results = Array.from({ length: 150_000 }, (_, index) => ({
    type: "tool_result",
    tool_use_id: `t${index}`,
    content: "ok",
  }));
  const toOpenAi = anthropicToOpenAiRequest({
    model: "m",
    max_tokens: 10,
    messages: [
      { role: "user", content: "go" },
      { role: "assistant", content: uses },
      { role: "user", content: results },
    ],
  });
  assert.ok(toOpenAi.ok, JSON.stringify(toOpenAi.ok ? null : toOpenAi.error));
  const parts = Array.from({ length: 150_000 }, () => ({ type: "text", text: "x" }));
  const toAnthropic = openAiToAnthropicRequest({
    model: "m",
    messages: [
      { role: "system", content: parts },
      { role: "user", content: parts },
      { role: "user", content: parts },
    ],
  });
  assert.ok(toAnthropic.ok, JSON.stringify(toAnthropic.ok ? null : toAnthropic.error));
});

test("composed translators pass on 200k events from one piece without a RangeError", () => {
  const many = Array.from({ length: 200_000 }, () => "x\n\n");
  const passing: StreamTranslator = { push: () => ["a\n\n"], end: () => ["b\n\n"], failure: () => null };
  const exploding: StreamTranslator = { push: () => many, end: () => many, failure: () => null };
  const composed = composeStreamTranslators(passing, exploding, { isErrorEvent: () => false });
  assert.equal(composed.push(Buffer.from("a")).length, 200_000);
  // The first's end event reaches the second (200k), then the second's own end (200k).
  assert.equal(composed.end().length, 400_000);
});

test("property: a completed Response holds at most maxHeldBytes and the item cap, else response_too_large", () => {
  const call = fc.record({
    index: fc.nat({ max: 3 }),
    id: fc.string({ minLength: 1, maxLength: 300 }),
    name: fc.string({ maxLength: 2000 }),
    args: fc.string({ maxLength: 200 }),
  });
  fc.assert(
    fc.property(fc.array(call, { maxLength: 60 }), fc.integer({ min: 256, max: 64 * 1024 }), (calls, max) => {
      const translator = createChatToResponsesStream({ context, maxHeldBytes: max });
      const pieces = calls.map(({ index, id, name, args }) => toolChunk(index, id, name, args));
      const events = assertValidResponsesStream(run(translator, [...pieces, FINISH]).text);
      const last = events.at(-1);
      if (last?.type === "response.completed") {
        const response = last.response as { output: Record<string, string>[] };
        const held = response.output.reduce(
          (sum, item) =>
            sum +
            ITEM_HELD_BYTES +
            Buffer.byteLength(item.name ?? "") +
            Buffer.byteLength(item.call_id ?? "") +
            Buffer.byteLength(item.arguments ?? ""),
          0,
        );
        assert.ok(held <= max, `held ${held} > ${max}`);
        assert.ok(response.output.length <= MAX_STREAM_ITEMS);
      } else {
        assert.equal(assertFailedEnd(events).error.code, "response_too_large");
      }
    }),
    { seed: SEED, numRuns: 150, interruptAfterTimeLimit: 20_000 },
  );
});
