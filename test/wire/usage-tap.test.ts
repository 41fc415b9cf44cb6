/**
 * @module test/wire/usage-tap
 * The SSE usage tap: byte-for-byte passthrough (the same Buffers) when the client asked for usage,
 * the usage-only chunk dropped when the gateway asked on its behalf, whatever the chunk boundaries.
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import { createUsageTap } from "../../src/wire/openai/create-usage-tap.ts";
import type { TokenUsage } from "../../src/wire/openai/openai-usage.ts";
import { sseEventEnd } from "../../src/wire/openai/sse-event-end.ts";

const chunk = (content: string) =>
  `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}],"usage":null}`;
const usageChunk =
  'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10,"prompt_tokens_details":{"cached_tokens":2}}}';

function streamText(newline: string): string {
  const blank = newline + newline;
  return [chunk("Hel"), chunk("lo"), usageChunk, "data: [DONE]"].map((event) => event + blank).join("");
}

async function run(input: readonly Buffer[], stripUsageChunk: boolean) {
  const usages: TokenUsage[] = [];
  const out: Buffer[] = [];
  const tap = createUsageTap({
    stripUsageChunk,
    onUsage: (usage) => usages.push(usage),
    failureEvent: () => "data: {}\n\n",
  });
  // Flowing mode hands over each pushed chunk as it is (async iteration would concatenate them).
  tap.on("data", (piece: Buffer) => out.push(piece));
  const ended = new Promise((resolve) => tap.once("end", resolve));
  Readable.from(input).pipe(tap);
  await ended;
  return { text: Buffer.concat(out).toString(), out, usages };
}

/** Splits a buffer into pieces of the given size (the last one shorter). */
function split(buffer: Buffer, size: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0; at < buffer.length; at += size) pieces.push(buffer.subarray(at, at + size));
  return pieces;
}

for (const newline of ["\n", "\r\n", "\r"]) {
  const label = JSON.stringify(newline);
  test(`passthrough with ${label} line ends: same bytes out, usage read, at every split size`, async () => {
    const whole = Buffer.from(streamText(newline));
    for (const size of [1, 2, 3, 7, 50, whole.length]) {
      const result = await run(split(whole, size), false);
      assert.equal(result.text, whole.toString(), `split ${size}`);
      assert.deepEqual(
        result.usages,
        [{ inputTokens: 7, outputTokens: 3, cachedInputTokens: 2 }],
        `split ${size}`,
      );
    }
  });

  test(`strip mode with ${label} line ends: only the usage-only chunk is dropped`, async () => {
    const whole = Buffer.from(streamText(newline));
    const expected = whole.toString().replace(usageChunk + newline + newline, "");
    for (const size of [1, 5, 64, whole.length]) {
      const result = await run(split(whole, size), true);
      assert.equal(result.text, expected, `split ${size}`);
      assert.equal(result.usages.length, 1);
    }
  });
}

test("passthrough forwards the very Buffers it received when chunks hold whole events (no copy, no re-serialization)", async () => {
  const text = streamText("\n");
  const pieces = text
    .split("\n\n")
    .filter((event) => event !== "")
    .map((event) => Buffer.from(`${event}\n\n`));
  const result = await run(pieces, false);
  assert.equal(result.out.length, pieces.length);
  for (const [index, piece] of result.out.entries()) {
    assert.equal(piece, pieces[index], `piece ${index} is the same object`);
  }
});

test("an error event quoting a key is rewritten with the key redacted; others pass untouched", async () => {
  const key = "sk-live-canary-0123456789abcdef";
  const error = `data: {"error":{"message":"Incorrect API key provided: ${key}","type":"invalid_request_error"}}\n\n`;
  const plain = `${chunk("a")}\n\n`;
  const usages: TokenUsage[] = [];
  const out: Buffer[] = [];
  const tap = createUsageTap({
    failureEvent: () => "data: {}\n\n",
    stripUsageChunk: false,
    onUsage: (usage) => usages.push(usage),
    redact: (value) => value.replaceAll(key, "[redacted]"),
  });
  tap.on("data", (piece: Buffer | string) => out.push(Buffer.from(piece)));
  const ended = new Promise((resolve) => tap.once("end", resolve));
  Readable.from([Buffer.from(plain + error)]).pipe(tap);
  await ended;
  const text = Buffer.concat(out).toString();
  assert.ok(!text.includes(key));
  assert.equal(text, plain + error.replace(key, "[redacted]"));
});

test("a usage object alongside choices is read but never dropped", async () => {
  const event = `data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2}}\n\n`;
  const result = await run([Buffer.from(event)], true);
  assert.equal(result.text, event);
  assert.deepEqual(result.usages, [{ inputTokens: 1, outputTokens: 2, cachedInputTokens: 0 }]);
});

test("a stream without a final blank line still flushes its last event, closed so SSE parsers dispatch it", async () => {
  const text = `${chunk("a")}\n\ndata: [DONE]`;
  const result = await run([Buffer.from(text)], true);
  assert.equal(result.text, `${text}\n\n`);
});

test("sseEventEnd: waits on a trailing CR, which may be half of CRLF", () => {
  assert.equal(sseEventEnd(Buffer.from("data: x\r\n\r"), 0), -1);
  assert.equal(sseEventEnd(Buffer.from("data: x\r\n\r\n"), 0), 11);
  assert.equal(sseEventEnd(Buffer.from("data: x\n\ndata: y\n\n"), 9), 18);
  assert.equal(sseEventEnd(Buffer.from("data: x\n"), 0), -1);
});
