/**
 * @module test/wire/stream-normalize
 * The pass-through taps' normalization of non-conforming streams (docs/api.md, "What every answer
 * guarantees"): every deviation of test/peers/deviant-streams.ts comes out conforming (chunks valid against
 * OpenAI's published schema, Anthropic's event grammar), each kind of repair reported once, a conforming
 * stream relayed byte for byte, and seeded property tests: any mix of deviations, cut anywhere, gives the
 * same conforming output and never throws.
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import fc from "fast-check";
import { createAnthropicUsageTap } from "../../src/wire/anthropic/create-anthropic-usage-tap.ts";
import { createEventNormalizer } from "../../src/wire/anthropic/create-event-normalizer.ts";
import type { RelayTransform } from "../../src/wire/create-relay-transform.ts";
import { createChunkNormalizer } from "../../src/wire/openai/create-chunk-normalizer.ts";
import { createUsageTap } from "../../src/wire/openai/create-usage-tap.ts";
import type { StreamRepair } from "../../src/wire/stream-repair.ts";
import {
  ANTHROPIC_DEVIATIONS,
  type AnthropicDeviation,
  DEVIANT_CALLS,
  DEVIANT_TEXT,
  deviantChatStream,
  deviantMessagesStream,
  OPENAI_DEVIATIONS,
  type OpenAiDeviation,
} from "../peers/deviant-streams.ts";
import { sseEvents } from "../support/anthropic-gateway.ts";
import { assertAnthropicGrammar } from "../support/anthropic-stream-grammar.ts";
import { assertValidChatCompletionChunk, parseSseData, sseDoneCount } from "../support/openai-schema.ts";

const SEED = 1414;
const ROUTE_MODEL = "route-model";
type Json = Record<string, unknown>;

/** Ids the normalizer makes, numbered per tap (the same for any chunking of one stream). */
function counterIds(): (prefix: string) => string {
  let count = 0;
  return (prefix) => `${prefix}gw${++count}`;
}

async function through(tap: RelayTransform, chunks: readonly Buffer[]): Promise<string> {
  const errors: unknown[] = [];
  const out: Buffer[] = [];
  tap.on("error", (error) => errors.push(error));
  tap.on("data", (piece: Buffer | string) => out.push(Buffer.from(piece)));
  const ended = new Promise((resolve) => tap.once("end", resolve));
  Readable.from(chunks.map((chunk) => Buffer.from(chunk))).pipe(tap);
  await ended;
  assert.deepEqual(errors, [], "no stream error escaped");
  return Buffer.concat(out).toString("utf8");
}

function openAiTap(repairs: StreamRepair[], strip = false): RelayTransform {
  return createUsageTap({
    stripUsageChunk: strip,
    onUsage: () => {},
    failureEvent: () => 'data: {"error":{"message":"failed"}}\n\n',
    redact: (text) => text,
    normalize: {
      fallbackModel: ROUTE_MODEL,
      onRepair: (repair) => repairs.push(repair),
      createId: counterIds(),
      now: () => 1_800_000_000_000,
    },
  });
}

function anthropicTap(repairs: StreamRepair[]): RelayTransform {
  return createAnthropicUsageTap({
    onUsage: () => {},
    failureEvent: () => 'event: error\ndata: {"type":"error"}\n\n',
    redact: (text) => text,
    normalize: {
      fallbackModel: ROUTE_MODEL,
      onRepair: (repair) => repairs.push(repair),
      createId: () => "msg_gw",
    },
  });
}

/** Asserts an OpenAI stream's output conforms: valid chunks, one id/created/model, role first, one finish. */
function assertConformingChat(output: string): Json[] {
  assert.equal(sseDoneCount(output), 1, "one [DONE]");
  const chunks = parseSseData(output) as Json[];
  assert.ok(chunks.length > 0);
  for (const chunk of chunks) assertValidChatCompletionChunk(chunk);
  const first = chunks[0]!;
  for (const chunk of chunks) {
    assert.equal(chunk.id, first.id, "one id");
    assert.equal(chunk.created, first.created, "one created");
    assert.equal(chunk.model, first.model, "one model");
  }
  const choices = chunks.flatMap((chunk) => chunk.choices as Json[]);
  assert.equal((choices[0]!.delta as Json).role, "assistant", "the role on the first delta");
  assert.equal(choices.filter((choice) => choice.finish_reason !== null).length, 1, "one finish_reason");
  return chunks;
}

/** The text and tool calls a client accumulates from chunks (the SDK's way: calls by index). */
function accumulate(chunks: readonly Json[]) {
  let text = "";
  const calls: Array<{ id?: string; type?: string; name: string; arguments: string }> = [];
  for (const chunk of chunks) {
    for (const choice of chunk.choices as Json[]) {
      const delta = choice.delta as Json;
      if (typeof delta.content === "string") text += delta.content;
      for (const call of (delta.tool_calls as Json[] | undefined) ?? []) {
        const index = call.index as number;
        const fn = (call.function ?? {}) as Json;
        calls[index] ??= { name: "", arguments: "" };
        const into = calls[index]!;
        if (typeof call.id === "string") into.id = call.id;
        if (typeof call.type === "string") into.type = call.type;
        if (typeof fn.name === "string") into.name += fn.name;
        if (typeof fn.arguments === "string") into.arguments += fn.arguments;
      }
    }
  }
  return { text, calls };
}

const EXPECTED_REPAIRS: Record<OpenAiDeviation, StreamRepair> = {
  created_drift: "created_drift",
  id_drift: "id_drift",
  model_drift: "model_drift",
  no_id: "missing_field",
  no_model: "missing_field",
  no_object: "missing_field",
  no_role: "missing_role",
  double_finish: "extra_finish_reason",
  no_finish_field: "missing_field",
  tool_no_index: "missing_field",
  tool_no_type: "missing_field",
  tool_no_id: "missing_field",
  sorted_keys: "missing_field", // no repair: checked apart below
  usage_no_total: "missing_field",
};

for (const deviation of OPENAI_DEVIATIONS) {
  for (const tools of [false, true]) {
    test(`OpenAI tap: ${deviation} (${tools ? "tool calls" : "text"}) comes out conforming, repaired once`, async () => {
      const repairs: StreamRepair[] = [];
      const events = deviantChatStream({ deviations: [deviation], tools, usage: true });
      const output = await through(openAiTap(repairs), [Buffer.from(events.join(""))]);
      const chunks = assertConformingChat(output);
      const { text, calls } = accumulate(chunks);
      if (tools) {
        assert.equal(calls.length, 2);
        for (const [index, call] of calls.entries()) {
          assert.equal(call.type, "function");
          assert.equal(typeof call.id, "string");
          assert.equal(call.name, DEVIANT_CALLS[index]!.name);
          assert.equal(call.arguments, DEVIANT_CALLS[index]!.arguments);
        }
      } else {
        assert.equal(text, DEVIANT_TEXT.join(""));
      }
      assert.equal(new Set(repairs).size, repairs.length, "each kind reported once per stream");
      const applies = !(deviation.startsWith("tool_") && !tools);
      if (deviation === "sorted_keys") assert.deepEqual(repairs, []);
      else if (applies) assert.ok(repairs.includes(EXPECTED_REPAIRS[deviation]), `${repairs}`);
      if (deviation === "no_model") assert.equal(chunks[0]!.model, ROUTE_MODEL);
      if (deviation === "created_drift") assert.equal(chunks[0]!.created, 1_750_000_000);
    });
  }
}

test("OpenAI tap: a conforming stream leaves byte for byte, the very Buffers, with no repair", async () => {
  for (const tools of [false, true]) {
    const repairs: StreamRepair[] = [];
    const events = deviantChatStream({ tools, usage: true });
    const input = events.map((event) => Buffer.from(event));
    const out: Array<Buffer | string> = [];
    const tap = openAiTap(repairs);
    tap.on("data", (piece: Buffer | string) => out.push(piece));
    const ended = new Promise((resolve) => tap.once("end", resolve));
    Readable.from(input).pipe(tap);
    await ended;
    assert.equal(Buffer.concat(out.map((piece) => Buffer.from(piece))).toString(), events.join(""));
    assert.equal(out.length, input.length);
    for (const [index, piece] of out.entries())
      assert.equal(piece, input[index], `piece ${index} as received`);
    assert.deepEqual(repairs, []);
  }
});

test("OpenAI normalizer: after the first chunk, the usual continuation passes the byte check unparsed", () => {
  const normalizer = createChunkNormalizer({ fallbackModel: "m" });
  const events = deviantChatStream({ tools: true }).map((event) => Buffer.from(event));
  const data = (event: Buffer) => JSON.parse(event.toString().slice(6)) as Json;
  assert.equal(normalizer.passes(events[0]!), false, "the first chunk is always read");
  assert.equal(normalizer.normalize(data(events[0]!)), false);
  // A call's first delta (its id) is read; its argument fragments pass.
  assert.equal(normalizer.passes(events[1]!), false);
  normalizer.normalize(data(events[1]!));
  assert.equal(normalizer.passes(events[2]!), true);
  const text = createChunkNormalizer({ fallbackModel: "m" });
  const textEvents = deviantChatStream().map((event) => Buffer.from(event));
  text.normalize(data(textEvents[0]!));
  assert.equal(text.passes(textEvents[1]!), true, "a content delta passes");
  assert.equal(text.passes(textEvents.at(-2)!), false, "a finish_reason is read");
  const drifted = Buffer.from(textEvents[1]!.toString().replace("1750000000", "1750000001"));
  assert.equal(text.passes(drifted), false, "a drifted created is read");
});

test("OpenAI tap: a usage chunk repaired in strip mode is still dropped, its usage read", async () => {
  const usages: unknown[] = [];
  const tap = createUsageTap({
    stripUsageChunk: true,
    onUsage: (usage) => usages.push(usage),
    failureEvent: () => "data: {}\n\n",
    normalize: { fallbackModel: ROUTE_MODEL },
  });
  const events = deviantChatStream({ deviations: ["created_drift", "usage_no_total"], usage: true });
  const output = await through(tap, [Buffer.from(events.join(""))]);
  assert.equal(
    (parseSseData(output) as Json[]).some((chunk) => (chunk.choices as unknown[]).length === 0),
    false,
  );
  assert.deepEqual(usages, [{ inputTokens: 9, outputTokens: 7, cachedInputTokens: 0 }]);
});

test("OpenAI tap: an error event is never normalized (the SDK raises it)", async () => {
  const error = 'data: {"error":{"message":"overloaded","type":"server_error"}}\n\n';
  const events = deviantChatStream({ deviations: ["created_drift"] });
  const output = await through(openAiTap([]), [Buffer.from(events[0]! + events[1]! + error)]);
  assert.ok(output.endsWith(error));
  const named = 'event: error\ndata: {"message":"overloaded"}\n\n';
  const relayed = await through(openAiTap([]), [Buffer.from(events[0]! + events[1]! + named)]);
  assert.ok(relayed.endsWith(named), "a named error event with a bare object is left as sent");
});

test("OpenAI tap: a stream of more choices and calls than the state tracks still conforms", async () => {
  const base = { id: "c", object: "chat.completion.chunk", created: 1, model: "m" };
  const events: string[] = [];
  for (let index = 0; index < 600; index++) {
    const call = { id: `call_${"x".repeat(300)}${index}`, function: { name: "f", arguments: "{}" } };
    const delta = { role: "assistant", tool_calls: [call] };
    events.push(`data: ${JSON.stringify({ ...base, choices: [{ index, delta, finish_reason: null }] })}\n\n`);
    events.push(
      `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { tool_calls: [call] }, finish_reason: null }] })}\n\n`,
    );
  }
  const output = await through(openAiTap([]), [Buffer.from(`${events.join("")}data: [DONE]\n\n`)]);
  for (const chunk of parseSseData(output)) assertValidChatCompletionChunk(chunk);
});

const ANTHROPIC_REPAIRS: Record<AnthropicDeviation, StreamRepair> = {
  overlap: "block_overlap",
  late_delta: "orphan_event",
  tool_no_input: "tool_input_missing",
  sparse_start: "missing_field",
  index_gap: "block_index",
  no_stops: "block_overlap",
  delta_no_usage: "missing_field",
  bad_start_types: "invalid_value",
  no_start: "event_order",
  late_start: "event_order",
  double_start: "event_order",
  after_stop: "event_order",
};

for (const deviation of ANTHROPIC_DEVIATIONS) {
  test(`Anthropic tap: ${deviation} comes out in the event grammar, repaired once`, async () => {
    const repairs: StreamRepair[] = [];
    const events = deviantMessagesStream({ deviations: [deviation] });
    const output = await through(anthropicTap(repairs), [Buffer.from(events.join(""))]);
    const parsed = sseEvents(output);
    assertAnthropicGrammar(parsed);
    assert.ok(repairs.includes(ANTHROPIC_REPAIRS[deviation]), `${repairs}`);
    assert.equal(new Set(repairs).size, repairs.length, "each kind reported once per stream");
    const json = parsed
      .map(({ data }) => data as Json)
      .filter((data) => (data.delta as Json | undefined)?.type === "input_json_delta")
      .map((data) => (data.delta as Json).partial_json)
      .join("");
    assert.equal(json, '{"city":"Paris"}', "the tool input arrives whole");
  });
}

test("Anthropic tap: a conforming stream leaves byte for byte with no repair", async () => {
  const repairs: StreamRepair[] = [];
  const events = deviantMessagesStream();
  const output = await through(
    anthropicTap(repairs),
    events.map((event) => Buffer.from(event)),
  );
  assert.equal(output, events.join(""));
  assert.deepEqual(repairs, []);
  const normalizer = createEventNormalizer({ fallbackModel: "m" });
  const data = (event: string) => JSON.parse(event.split("\ndata: ")[1]!) as Json;
  normalizer.normalize(data(events[0]!));
  normalizer.normalize(data(events[1]!));
  assert.equal(normalizer.passes(Buffer.from(events[3]!)), true, "a delta of the open block passes unparsed");
});

/** Sorted cut points of a stream's bytes. */
function split(bytes: Buffer, seeds: readonly number[]): Buffer[] {
  const cuts = [...new Set(seeds.map((seed) => seed % Math.max(1, bytes.length)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut > from) chunks.push(bytes.subarray(from, cut));
    from = cut;
  }
  return chunks;
}

test(`property (seeded ${SEED}): any mix of OpenAI deviations, cut anywhere, gives one conforming output`, async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.subarray([...OPENAI_DEVIATIONS]),
      fc.boolean(),
      fc.boolean(),
      fc.constantFrom("\n", "\r\n"),
      fc.array(fc.nat(), { maxLength: 24 }),
      async (deviations, tools, strip, newline, seeds) => {
        const text = deviantChatStream({ deviations, tools, usage: true }).join("").replaceAll("\n", newline);
        const bytes = Buffer.from(text);
        const whole = await through(openAiTap([], strip), [bytes]);
        const pieces = await through(openAiTap([], strip), split(bytes, seeds));
        assert.equal(pieces, whole, "the same output whatever the split");
        const { text: content, calls } = accumulate(assertConformingChat(whole));
        if (!tools) assert.equal(content, DEVIANT_TEXT.join(""));
        assert.deepEqual(
          calls.map((call) => [call.type, typeof call.id, call.name, call.arguments]),
          tools ? DEVIANT_CALLS.map((call) => ["function", "string", call.name, call.arguments]) : [],
          "every call whole, at its own index",
        );
      },
    ),
    { seed: SEED, numRuns: 120, interruptAfterTimeLimit: 30_000, markInterruptAsFailure: true },
  );
});

test(`property (seeded ${SEED}): any mix of Anthropic deviations, cut anywhere, stays in the grammar`, async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.subarray([...ANTHROPIC_DEVIATIONS]),
      fc.constantFrom("\n", "\r\n"),
      fc.array(fc.nat(), { maxLength: 24 }),
      async (deviations, newline, seeds) => {
        const text = deviantMessagesStream({ deviations }).join("").replaceAll("\n", newline);
        const bytes = Buffer.from(text);
        const whole = await through(anthropicTap([]), [bytes]);
        const pieces = await through(anthropicTap([]), split(bytes, seeds));
        assert.equal(pieces, whole, "the same output whatever the split");
        assertAnthropicGrammar(sseEvents(whole));
      },
    ),
    { seed: SEED, numRuns: 120, interruptAfterTimeLimit: 30_000, markInterruptAsFailure: true },
  );
});
