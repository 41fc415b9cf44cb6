/**
 * @module test/wire/anthropic-event-order
 * The Anthropic normalizer's message-level order (review R4): a mistyped `message_start`, blocks before
 * it, none at all, a second one and events after `message_stop` all leave in the event grammar, with usage read once.
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import type { AnthropicUsageCounts } from "../../src/wire/anthropic/anthropic-usage.ts";
import { createAnthropicUsageTap } from "../../src/wire/anthropic/create-anthropic-usage-tap.ts";
import type { StreamRepair } from "../../src/wire/stream-repair.ts";
import { sseEvents } from "../support/anthropic-gateway.ts";
import { assertAnthropicGrammar } from "../support/anthropic-stream-grammar.ts";

type Json = Record<string, unknown>;
const ev = (data: Json) => `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`;
const start = (message: Json = {}, usage: Json = { input_tokens: 5, output_tokens: 1 }) =>
  ev({
    type: "message_start",
    message: {
      ...{ id: "msg_1", type: "message", role: "assistant", model: "claude", content: [] },
      ...{ stop_reason: null, stop_sequence: null, usage, ...message },
    },
  });
const blockStart = (i: number) =>
  ev({ type: "content_block_start", index: i, content_block: { type: "text", text: "" } });
const delta = (i: number, t: string) =>
  ev({ type: "content_block_delta", index: i, delta: { type: "text_delta", text: t } });
const stop = (i: number) => ev({ type: "content_block_stop", index: i });
const end =
  ev({
    type: "message_delta",
    delta: { stop_reason: "end_turn", stop_sequence: null },
    usage: { output_tokens: 3 },
  }) + ev({ type: "message_stop" });

interface Run {
  readonly output: string;
  readonly usage: Array<{ counts: AnthropicUsageCounts; final: boolean }>;
  readonly repairs: StreamRepair[];
}

async function run(input: string): Promise<Run> {
  const usage: Run["usage"] = [];
  const repairs: StreamRepair[] = [];
  const tap = createAnthropicUsageTap({
    onUsage: (counts, final) => usage.push({ counts, final }),
    redact: (text) => text,
    failureEvent: () => "event: error\ndata: {}\n\n",
    normalize: {
      fallbackModel: "claude",
      createId: () => "msg_made",
      onRepair: (kind) => repairs.push(kind),
    },
  });
  const out: Buffer[] = [];
  tap.on("data", (piece: Buffer) => out.push(piece));
  const done = new Promise((resolve) => tap.once("end", resolve));
  Readable.from([Buffer.from(input)]).pipe(tap);
  await done;
  return { output: Buffer.concat(out).toString(), usage, repairs };
}

const messageOf = (output: string): Json => (sseEvents(output)[0]!.data as Json).message as Json;
const last = (usage: Run["usage"]) => usage.at(-1);

const CASES: Record<string, string> = {
  "non-string message.id": start({ id: 123 }) + blockStart(0) + delta(0, "a") + stop(0) + end,
  "role user": start({ role: "user" }) + blockStart(0) + delta(0, "a") + stop(0) + end,
  "block before message_start": blockStart(0) + start() + delta(0, "a") + stop(0) + end,
  "message_start twice": start() + blockStart(0) + delta(0, "a") + stop(0) + start() + end,
  "no message_start": blockStart(0) + delta(0, "a") + stop(0) + end,
  "events after message_stop": start() + end + blockStart(0) + delta(0, "late") + stop(0),
};

for (const [name, input] of Object.entries(CASES)) {
  test(`R4: ${name} leaves in the event grammar`, async () => {
    const { output } = await run(input);
    assertAnthropicGrammar(sseEvents(output));
    const texts = sseEvents(output).filter(({ event }) => event === "content_block_delta");
    assert.deepEqual(
      texts.map(({ data }) => ((data as Json).delta as Json).text),
      name === "events after message_stop" ? [] : ["a"],
    );
  });
}

test("mistyped id, model, type and role are replaced with the fallbacks", async () => {
  const { output, repairs } = await run(
    start({ id: 123, model: { name: "x" }, type: "msg", role: "user" }) + blockStart(0) + stop(0) + end,
  );
  const message = messageOf(output);
  assert.deepEqual(
    [message.id, message.model, message.type, message.role],
    ["msg_made", "claude", "message", "assistant"],
  );
  assert.deepEqual(repairs, ["invalid_value"]);
});

test("a made message_start names the fallback model; its placeholder counts are not read as usage", async () => {
  const { output, usage, repairs } = await run(blockStart(0) + delta(0, "a") + stop(0) + end);
  assert.deepEqual([messageOf(output).id, messageOf(output).model], ["msg_made", "claude"]);
  assert.deepEqual(
    usage.map(({ final }) => final),
    [true],
  );
  assert.deepEqual(repairs, ["event_order"]);
});

test("a late upstream message_start after a made one: not written, its input tokens still read", async () => {
  const { output, usage } = await run(
    blockStart(0) + start({}, { input_tokens: 9, output_tokens: 1 }) + stop(0) + end,
  );
  assert.equal(sseEvents(output).filter(({ event }) => event === "message_start").length, 1);
  assert.deepEqual(last(usage), {
    counts: { ...last(usage)!.counts, inputTokens: 9, outputTokens: 3 },
    final: true,
  });
});

test("a second message_start neither resets nor doubles usage; nothing after message_stop is read", async () => {
  const second = start({ id: "msg_2" }, { input_tokens: 50, output_tokens: 40 });
  const { usage } = await run(start() + blockStart(0) + stop(0) + second + end + second + end);
  assert.deepEqual(
    usage.map(({ counts, final }) => [counts.inputTokens, counts.outputTokens, final]),
    [
      [5, 1, false],
      [5, 3, true],
    ],
  );
});

test("pings and errors before message_start need none made; a conforming stream leaves byte for byte", async () => {
  const ping = ev({ type: "ping" });
  const conforming = ping + start() + blockStart(0) + delta(0, "a") + stop(0) + end;
  const { output, repairs } = await run(conforming);
  assert.equal(output, conforming);
  assert.deepEqual(repairs, []);
  const error = ev({ type: "error", error: { type: "overloaded_error", message: "busy" } });
  assert.equal((await run(error)).output, error);
});
