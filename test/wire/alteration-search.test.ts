/**
 * @module test/wire/alteration-search
 * The search a tap clears events with (create-alteration-search.ts), seeded and time-bounded against a
 * naive one: for any chunk and increasing offsets, the first occurrence at or after the offset of any
 * needle (`"error"`, `\u`, a confirmed extra needle), the whole chunk when it quotes a key; and the tap's
 * reads of cleared events: after the chunk is forwarded, before the relay reports.
 */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import fc from "fast-check";
import { relayStream } from "../../src/pipeline/relay-stream.ts";
import { createAlterationSearch } from "../../src/wire/openai/create-alteration-search.ts";
import { createUsageTap } from "../../src/wire/openai/create-usage-tap.ts";
import type { TokenUsage } from "../../src/wire/openai/openai-usage.ts";

const SEED = 1207;
const KEY = "sk-key-in-play-0123";
const USAGE = Buffer.from('"usage"');

/** The first offset at or after `from` where `needle` starts and `accept` agrees, or -1 (one byte at a time). */
function naive(chunk: string, needle: string, from: number, accept = (_at: number) => true): number {
  for (let at = from; at + needle.length <= chunk.length; at++)
    if (chunk.startsWith(needle, at) && accept(at)) return at;
  return -1;
}

const piece = fc.constantFrom(
  '"error"',
  "error",
  'rror"',
  '"er',
  "\\u00e9",
  "\\",
  '"usage":{',
  '"usage":null',
  '"usage" : {',
  "data: ",
  "\n\n",
  '"',
  "x",
  KEY,
);

test("the search finds what a naive search finds, at every offset in order (seeded)", () => {
  const search = createAlterationSearch({
    redacts: true,
    quotesKey: (bytes) => Buffer.from(bytes).includes(KEY),
    needles: [
      { bytes: USAGE, confirm: (chunk, at) => chunk[at + USAGE.length] === 0x3a && chunk[at + 8] === 0x7b },
    ],
  });
  fc.assert(
    fc.property(
      fc.array(piece, { maxLength: 40 }),
      fc.array(fc.nat(60), { maxLength: 12 }),
      (pieces, steps) => {
        const text = pieces.join("");
        const chunk = Buffer.from(text);
        const next = search(chunk);
        let from = 0;
        for (const step of [0, ...steps]) {
          from = Math.min(text.length, from + step);
          const expected = text.includes(KEY)
            ? from
            : [
                naive(text, '"error"', from),
                naive(text, "\\u", from),
                naive(text, '"usage"', from, (at) => text.startsWith('"usage":{', at)),
              ]
                .filter((at) => at !== -1)
                .reduce((first, at) => (first === -1 || at < first ? at : first), -1);
          assert.equal(next(from), expected, JSON.stringify({ text, from }));
        }
      },
    ),
    { seed: SEED, numRuns: 400, interruptAfterTimeLimit: 5000 },
  );
});

test("without redaction or needles nothing is searched: every event may be cleared", () => {
  const next = createAlterationSearch({ redacts: false, quotesKey: () => true })(Buffer.from('"error"'));
  assert.equal(next(0), -1);
});

const event = (content: string) =>
  `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}]}\n\n`;
const usageEvent =
  'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}}\n\n';

test("a chunk of cleared events is forwarded before it is read, and read before the relay reports", async () => {
  const read: string[] = [];
  let usage: TokenUsage | null = null;
  const tap = createUsageTap({
    stripUsageChunk: false,
    onUsage: (reported) => {
      usage = reported;
      read.push("usage");
    },
    onText: () => read.push("text"),
    redact: (text) => text.replaceAll(KEY, "[redacted]"),
    quotesKey: (bytes) => Buffer.from(bytes).includes(KEY),
    failureEvent: () => "data: {}\n\n",
    normalize: { fallbackModel: "m" },
  });
  const upstream = new PassThrough();
  const first = Buffer.from(event("Hel"));
  const rest = Buffer.from(`${event("lo") + event(" there") + usageEvent}data: [DONE]\n\n`);
  const readWhenForwarded: number[] = [];
  const outcome = new Promise<{ outcome: string; usage: TokenUsage | null; reads: number }>((resolve) => {
    const relayed = relayStream(upstream, tap, {
      signal: new AbortController().signal,
      mapFailure: () => {
        throw new Error("no failure expected");
      },
      onEnd: (ended) => resolve({ outcome: ended, usage, reads: read.length }),
    });
    const out: Buffer[] = [];
    relayed.on("data", (piece: Buffer) => {
      out.push(piece);
      readWhenForwarded.push(read.length);
    });
  });
  upstream.write(first); // the stream's first event: parsed (its id, created and model learned)
  await new Promise((resolve) => setImmediate(resolve));
  upstream.end(rest);
  const ended = await outcome;
  assert.equal(ended.outcome, "ok");
  assert.deepEqual(ended.usage, { inputTokens: 4, outputTokens: 2, cachedInputTokens: 0 });
  assert.equal(read.filter((what) => what === "usage").length, 1, "usage read once");
  assert.equal(read.filter((what) => what === "text").length, 3);
  assert.equal(ended.reads, read.length, "every read done before the report");
  // The second chunk went out as it was received, before any of its events was read.
  assert.deepEqual(readWhenForwarded, [1, 1]);
});

test("a chunk that quotes a key is not cleared: its event is redacted before it is forwarded", async () => {
  const tap = createUsageTap({
    stripUsageChunk: false,
    onUsage: () => {},
    redact: (text) => text.replaceAll(KEY, "[redacted]"),
    quotesKey: (bytes) => Buffer.from(bytes).includes(KEY),
    failureEvent: () => "data: {}\n\n",
    normalize: { fallbackModel: "m" },
  });
  let out = "";
  tap.on("data", (piece: Buffer) => {
    out += piece.toString();
  });
  const ended = new Promise((resolve) => tap.once("end", resolve));
  tap.write(Buffer.from(event("a")));
  tap.end(Buffer.from(`${event("b") + event(`key ${KEY}`) + event("c")}data: [DONE]\n\n`));
  await ended;
  assert.equal(out.includes(KEY), false);
  assert.equal(out.includes("key [redacted]"), true);
  assert.equal(out.endsWith(`${event("c")}data: [DONE]\n\n`), true);
});
