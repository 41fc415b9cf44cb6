/**
 * @module test/wire/malformed-chunk
 * Chunks that pass the tap's byte checks yet are no JSON (cut short but ending in `}`, a trailing comma):
 * never relayed as well-formed, never read for usage; the stream ends with `invalid_upstream_event` as for
 * any unreadable event, with or without the normalizer, whole or cut anywhere; the Anthropic tap likewise.
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import type { GatewayError } from "../../src/errors/gateway-error.ts";
import { createAnthropicUsageTap } from "../../src/wire/anthropic/create-anthropic-usage-tap.ts";
import { createChunkNormalizer } from "../../src/wire/openai/create-chunk-normalizer.ts";
import { createUsageTap } from "../../src/wire/openai/create-usage-tap.ts";
import type { TokenUsage } from "../../src/wire/openai/openai-usage.ts";

const PREFIX = '{"id":"x","object":"chat.completion.chunk","created":1,"model":"m"';
const content = (text: string) =>
  `data: ${PREFIX},"choices":[{"index":0,"delta":{"content":"${text}"},"finish_reason":null}]}\n\n`;
const FIRST = `data: ${PREFIX},"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n`;
const USAGE = `data: ${PREFIX},"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":14,"total_tokens":15}}\n\n`;

/** Chunks the byte checks took for conforming ones: one line of `data: {…}` ending in `}`. */
const MALFORMED: ReadonlyArray<readonly [string, string]> = [
  [
    "content chunk cut short (its `]}` missing)",
    `data: ${PREFIX},"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}\n\n`,
  ],
  [
    "content chunk with a `}` misplaced",
    `data: ${PREFIX},"choices":[{"index":0,"delta":{"content":"hi"}},"finish_reason":null]}\n\n`,
  ],
  [
    "an open string holding a raw control character",
    `data: ${PREFIX},"choices":[{"index":0,"delta":{"content":"h\ti"},"finish_reason":null}]}\n\n`,
  ],
  [
    "an open string holding an unknown escape",
    `data: ${PREFIX},"choices":[{"index":0,"delta":{"content":"h\\qi"},"finish_reason":null}]}\n\n`,
  ],
  [
    "usage-only chunk with a trailing comma",
    `data: ${PREFIX},"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":14},}\n\n`,
  ],
  [
    "plain usage-only chunk with a trailing comma",
    `data: ${PREFIX},"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":14,"total_tokens":15},}\n\n`,
  ],
];

const failureEvent = (failure: GatewayError) =>
  `data: ${JSON.stringify({ error: { type: failure.type, code: failure.code } })}\n\n`;

async function run(chunks: readonly string[], normalize: boolean, strip = false) {
  const usages: TokenUsage[] = [];
  const out: Buffer[] = [];
  const tap = createUsageTap({
    stripUsageChunk: strip,
    onUsage: (usage) => usages.push(usage),
    failureEvent,
    ...(normalize ? { normalize: { fallbackModel: "m", now: () => 0 } } : {}),
  });
  tap.on("data", (piece: Buffer | string) => out.push(Buffer.from(piece)));
  const ended = new Promise((resolve) => tap.once("end", resolve));
  Readable.from(chunks.map((chunk) => Buffer.from(chunk))).pipe(tap);
  await ended;
  return { text: Buffer.concat(out).toString(), usages };
}

const FAILED = 'data: {"error":{"type":"upstream_error","code":"invalid_upstream_event"}}\n\n';

for (const [name, bad] of MALFORMED) {
  for (const normalize of [true, false]) {
    test(`${name}${normalize ? ", normalizing" : ""}: the stream ends with invalid_upstream_event`, async () => {
      const events = [FIRST, content("a"), content("b"), bad, content("c"), USAGE, "data: [DONE]\n\n"];
      const before = events.slice(0, 3).join("");
      // One chunk per event, all in one chunk (cleared events), and cut byte by byte.
      const whole = events.join("");
      for (const chunks of [events, [whole], [...whole]]) {
        const result = await run(chunks, normalize);
        assert.equal(result.text, before + FAILED, `${chunks.length} chunks`);
        assert.deepEqual(result.usages, [], "no usage read from an invalid chunk");
      }
    });
  }
}

test("a usage-only chunk that is no JSON is never taken for the stream's usage (strip mode)", async () => {
  const bad = MALFORMED.find(([name]) => name.startsWith("usage-only"))![1];
  const result = await run([FIRST, content("a"), bad], true, true);
  assert.equal(result.text, FIRST + content("a") + FAILED);
  assert.deepEqual(result.usages, []);
});

test("the normalizer's byte check clears a chunk only once its shape parsed; a template match stays valid", () => {
  const check = createChunkNormalizer({ fallbackModel: "m" });
  check.normalize(JSON.parse(FIRST.slice(6)) as Record<string, unknown>);
  for (const [name, bad] of MALFORMED) assert.equal(check.passes(Buffer.from(bad)), false, name);
  assert.equal(check.passes(Buffer.from(content("a"))), true, "a valid continuation");
  for (const [name, bad] of MALFORMED)
    assert.equal(check.passes(Buffer.from(bad)), false, `${name}, templated`);
  assert.equal(check.passes(Buffer.from(content('say \\"hi\\" \\u00e9\\n'))), true, "valid escapes");
  assert.equal(check.passes(Buffer.from(USAGE)), true, "a plain usage-only chunk");
});

const ANTHROPIC_START =
  'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"c","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}\n\n' +
  'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n';
const anthropicDelta = (text: string) =>
  `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"${text}"}}\n\n`;
const ANTHROPIC_MALFORMED: ReadonlyArray<readonly [string, string]> = [
  [
    "a text delta cut short",
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}\n\n',
  ],
  ["a text delta with a raw control character", anthropicDelta("h\ti")],
  [
    "a message_delta with a trailing comma",
    'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2},}\n\n',
  ],
];

for (const [name, bad] of ANTHROPIC_MALFORMED) {
  for (const normalize of [true, false]) {
    test(`Anthropic tap: ${name}${normalize ? ", normalizing" : ""}: the stream ends with invalid_upstream_event`, async () => {
      const usages: unknown[] = [];
      const events = [ANTHROPIC_START, anthropicDelta("a"), anthropicDelta("b"), bad, anthropicDelta("c")];
      const whole = events.join("");
      for (const chunks of [events, [whole], [...whole]]) {
        const out: Buffer[] = [];
        const tap = createAnthropicUsageTap({
          onUsage: (usage, final) => {
            if (final) usages.push(usage);
          },
          failureEvent,
          ...(normalize ? { normalize: { fallbackModel: "m", createId: () => "msg_x" } } : {}),
        });
        tap.on("data", (piece: Buffer | string) => out.push(Buffer.from(piece)));
        const ended = new Promise((resolve) => tap.once("end", resolve));
        Readable.from(chunks.map((chunk) => Buffer.from(chunk))).pipe(tap);
        await ended;
        assert.equal(
          Buffer.concat(out).toString(),
          events.slice(0, 3).join("") + FAILED,
          `${chunks.length} chunks`,
        );
      }
      assert.deepEqual(usages, [], "no final usage read from an invalid event");
    });
  }
}
