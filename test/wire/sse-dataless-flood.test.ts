/**
 * @module test/wire/sse-dataless-flood
 * Events without data (blank lines, comments, field-only events) through the SSE tap (review R5): a run of
 * blank lines and plain comments goes out byte for byte without the inspector or the full check being called
 * for any of them, and a stream that sends more than MAX_DATALESS_EVENTS (or MAX_DATALESS_BYTES) of them in a
 * row is refused with `invalid_upstream_event` right after the bound, however it is chunked; an event cut by a
 * chunk boundary costs what a whole one costs. A comment that may quote a key is still read, and dropped when
 * it does.
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import type { GatewayError } from "../../src/errors/gateway-error.ts";
import { createKeyQuoteCheck } from "../../src/keys/create-key-quote-check.ts";
import { redactKeysInPlay, redactSecrets } from "../../src/keys/redact-secrets.ts";
import { SecretKey } from "../../src/keys/secret-key.ts";
import { createAnthropicUsageTap } from "../../src/wire/anthropic/create-anthropic-usage-tap.ts";
import { type RelayTransform, STREAM_FAILED } from "../../src/wire/create-relay-transform.ts";
import { createResponsesUsageTap } from "../../src/wire/openai/create-responses-usage-tap.ts";
import { createSseTap } from "../../src/wire/openai/create-sse-tap.ts";
import { createUsageTap } from "../../src/wire/openai/create-usage-tap.ts";
import {
  MAX_DATALESS_BYTES,
  MAX_DATALESS_EVENTS,
  SLOW_DATALESS_ALLOWANCE,
} from "../../src/wire/openai/sse-dataless-run.ts";

const KEY = "sk-user-flood-0123456789abcdefWXYZ";
const secrets = [new SecretKey(KEY)];
const redact = (text: string) => redactSecrets(text, secrets);
/** What relayed content loses (the pipeline's content redactor): the keys in play only. */
const redactInPlay = (text: string) => redactKeysInPlay(text, secrets);
const quotesKey = createKeyQuoteCheck(secrets);
const failureEvent = (failure: GatewayError) =>
  `data: ${JSON.stringify({ error: { type: failure.type, code: failure.code } })}\n\n`;
const chunk = (content: string) =>
  `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}]}\n\n`;
const FIRST = chunk("Hi");
const LAST = `${chunk("!")}data: [DONE]\n\n`;

/** The stream's first chunk as the normalizer wants it (the assistant's role): relayed as received. */
const OPENAI_FIRST = `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}\n\n`;

/** Equal texts, or a failure that shows where they part (not megabytes of newlines). */
function assertSame(actual: string, expected: string, label: string): void {
  if (actual === expected) return;
  let at = 0;
  while (at < actual.length && actual[at] === expected[at]) at++;
  const around = (text: string) => JSON.stringify(text.slice(Math.max(0, at - 40), at + 80));
  assert.fail(
    `${label}: lengths ${actual.length} / ${expected.length}, part at ${at}: ${around(actual)} vs ${around(expected)}`,
  );
}

/** A tap over the bare SSE mechanics that counts what it reads: the inspector and the full check. */
function countingTap() {
  const calls = { inspect: 0, check: 0 };
  const tap = createSseTap(
    () => {
      calls.inspect++;
      return "keep";
    },
    {
      alterations: () => () => -1, // nothing to redact or strip: every conforming event may pass unread
      looksConforming: (event) => event.subarray(0, 6).toString() === "data: ",
      checkEvent: () => {
        calls.check++;
        return null;
      },
      failureEvent,
    },
  );
  return { tap, calls };
}

async function through(tap: RelayTransform, chunks: readonly Buffer[]) {
  const out: Buffer[] = [];
  let failure: GatewayError | null = null;
  tap.on("data", (piece: Buffer | string) => out.push(Buffer.from(piece)));
  tap.once(STREAM_FAILED, (failed: GatewayError) => {
    failure = failed;
  });
  const ended = new Promise((resolve) => tap.once("end", resolve));
  Readable.from(chunks.map((piece) => Buffer.from(piece))).pipe(tap);
  await ended;
  return { text: Buffer.concat(out).toString(), failure: failure as GatewayError | null };
}

/** The bytes cut every `size` bytes. */
function cut(bytes: Buffer, size: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let from = 0; from < bytes.length; from += size) pieces.push(bytes.subarray(from, from + size));
  return pieces;
}

const FILLS: ReadonlyArray<readonly [string, string]> = [
  ["LF", "\n"],
  ["CR", "\r"],
  ["CRLF", "\r\n"],
  ["empty comments", ":\n\n"],
  ["keep-alive comments", ": ping\r\n\r\n"],
  ["long-word comments", ": OPENROUTER PROCESSING\n\n"],
  ["field-only events", "id: 1\nevent: ping\r\nretry: 3000\rid\n\n"],
];

for (const [name, fill] of FILLS) {
  test(`${MAX_DATALESS_EVENTS} empty events (${name}) pass byte for byte, none of them inspected or checked`, async () => {
    const input = Buffer.from(FIRST + fill.repeat(MAX_DATALESS_EVENTS) + LAST);
    for (const size of [input.length, 4096, 7]) {
      const { tap, calls } = countingTap();
      const { text, failure } = await through(tap, cut(input, size));
      assert.equal(failure, null);
      assertSame(text, input.toString(), `cut every ${size} bytes`);
      // Only the data events are read: an empty event cut by a chunk boundary is joined and taken on bytes.
      assert.deepEqual(calls, { inspect: 3, check: 0 }, `cut every ${size} bytes`);
    }
  });

  test(`one more empty event (${name}) than MAX_DATALESS_EVENTS in a row: refused right after the bound`, async () => {
    const flood = fill.repeat(MAX_DATALESS_EVENTS + 1);
    const input = Buffer.from(FIRST + flood + LAST);
    const expected = FIRST + fill.repeat(MAX_DATALESS_EVENTS);
    for (const size of [input.length, 4096, 7]) {
      const { tap, calls } = countingTap();
      const { text, failure } = await through(tap, cut(input, size));
      assert.equal(failure?.code, "invalid_upstream_event", `cut every ${size} bytes`);
      assertSame(text, `${expected}${failureEvent(failure as GatewayError)}`, `cut every ${size} bytes`);
      assert.ok(calls.inspect <= 1 + Math.ceil(input.length / size));
    }
  });
}

test("20,000 keep-alives each cut in two by a chunk boundary pass byte for byte, none read the slow way", async () => {
  // 20,000 keep-alives, a data event after each 1,000: read the slow way they would pass the allowance.
  const keepAlives = [": ping\r\n\r\n", ": OPENROUTER PROCESSING\n\n", "id: 7\r\nevent: ping\rretry: 10\n\n"];
  const chunks: string[] = [FIRST];
  let slowBytes = 0;
  let dataBytes = FIRST.length + LAST.length;
  for (let index = 0; index < 20_000; index++) {
    const keepAlive = keepAlives[index % keepAlives.length] as string;
    const at = 1 + (index % (keepAlive.length - 1)); // every cut inside the event, between a CR and its LF too
    slowBytes += keepAlive.length;
    const data = index % 1000 === 999 ? chunk(`${index}`) : "";
    dataBytes += data.length;
    chunks.push(keepAlive.slice(0, at), keepAlive.slice(at) + data);
  }
  chunks.push(LAST);
  assert.ok(slowBytes > SLOW_DATALESS_ALLOWANCE + dataBytes);
  const { tap, calls } = countingTap();
  const { text, failure } = await through(
    tap,
    chunks.map((piece) => Buffer.from(piece)),
  );
  assert.equal(failure, null);
  assertSame(text, chunks.join(""), "cut in two");
  assert.deepEqual(calls, { inspect: 1 + 20 + 2, check: 0 });
});

test("a data event ends the run: floods just under the bound between data events all pass", async () => {
  const flood = "\n".repeat(MAX_DATALESS_EVENTS);
  const input = Buffer.from(FIRST + flood + chunk("a") + flood + chunk("b") + flood + LAST);
  const { tap, calls } = countingTap();
  const { text, failure } = await through(tap, [input]);
  assert.equal(failure, null);
  assertSame(text, input.toString(), "whole");
  assert.deepEqual(calls, { inspect: 5, check: 0 });
});

test("field-only events count too: more than the bound of `id:` events in a row is refused", async () => {
  const input = Buffer.from(FIRST + "id: 1\n\n".repeat(MAX_DATALESS_EVENTS + 1) + LAST);
  const { tap, calls } = countingTap();
  const { text, failure } = await through(tap, [input]);
  assert.equal(failure?.code, "invalid_upstream_event");
  assertSame(
    text,
    FIRST + "id: 1\n\n".repeat(MAX_DATALESS_EVENTS) + failureEvent(failure as GatewayError),
    "whole",
  );
  assert.deepEqual(calls, { inspect: 1, check: 0 });
});

/** Data-less events the tap must read (a quote, `event: error`, an unknown field): the slow way. */
const SLOW: ReadonlyArray<readonly [string, string]> = [
  ["quoted ids", 'id: "1"\n\n'],
  ["named errors", "event: error\n\n"],
  ["unknown fields", "x: 1\n\n"],
];

for (const [name, slow] of SLOW) {
  test(`data-less events read the slow way (${name}) are bounded by bytes, however often a data event resets the run`, async () => {
    const tiny = chunk("x");
    const unit = slow.repeat(MAX_DATALESS_EVENTS - 1) + tiny;
    const input = Buffer.from(FIRST + unit.repeat(Math.ceil((4 * 1024 * 1024) / unit.length)) + LAST);
    const { tap, calls } = countingTap();
    const { failure } = await through(tap, cut(input, 65536));
    if (name === "unknown fields") return; // the countingTap's check passes them: the bound still ends the flood
    assert.equal(failure?.code, "invalid_upstream_event");
    // Read one by one up to the allowance plus one byte per data byte relayed, never the whole 4 MiB.
    const dataBytes = FIRST.length + tiny.length * Math.ceil(calls.inspect / MAX_DATALESS_EVENTS + 1);
    assert.ok(
      calls.inspect * slow.length <= SLOW_DATALESS_ALLOWANCE + dataBytes + slow.length,
      JSON.stringify(calls),
    );
  });
}

test("comments of more than MAX_DATALESS_BYTES in a row are refused at the byte bound", async () => {
  const comment = `:${" ".repeat(1021)}\n\n`; // 1 KiB each: the byte bound comes first
  const fits = Math.floor(MAX_DATALESS_BYTES / comment.length);
  const input = Buffer.from(FIRST + comment.repeat(fits + 1) + LAST);
  const { tap, calls } = countingTap();
  const { text, failure } = await through(tap, [input]);
  assert.equal(failure?.code, "invalid_upstream_event");
  assertSame(text, FIRST + comment.repeat(fits) + failureEvent(failure as GatewayError), "whole");
  assert.deepEqual(calls, { inspect: 1, check: 0 });
});

const TAPS: ReadonlyArray<readonly [string, () => RelayTransform, string, string]> = [
  [
    "OpenAI",
    () =>
      createUsageTap({
        stripUsageChunk: false,
        onUsage: () => {},
        redact: redactInPlay,
        redactError: redact,
        quotesKey,
        failureEvent,
        normalize: { fallbackModel: "m", now: () => 1 },
      }),
    OPENAI_FIRST,
    LAST,
  ],
  [
    "Anthropic",
    () =>
      createAnthropicUsageTap({
        onUsage: () => {},
        redact: redactInPlay,
        redactError: redact,
        quotesKey,
        failureEvent,
      }),
    'event: ping\ndata: {"type":"ping"}\n\n',
    'event: message_stop\ndata: {"type":"message_stop"}\n\n',
  ],
  [
    "Responses",
    () =>
      createResponsesUsageTap({
        onUsage: () => {},
        redact: redactInPlay,
        redactError: redact,
        quotesKey,
        failureEvent,
      }),
    'data: {"type":"response.output_text.delta","sequence_number":1,"delta":"Hi"}\n\n',
    'data: {"type":"response.output_text.delta","sequence_number":2,"delta":"!"}\n\n',
  ],
];

for (const [name, create, first, last] of TAPS) {
  test(`the ${name} tap: a flood of data-less events passes as received; those quoting a key in play are still dropped`, async () => {
    // 8,006 data-less events in all: under the bound; event names stay for the client's parser.
    const flood = "\n\r\r\n:\n\n: OPENROUTER PROCESSING\n\nid: 1\nevent: ping\nretry: 10\n\n".repeat(160);
    const quoting = [
      `: ${KEY}\n\n`,
      `: ${KEY.slice(0, 6)}...${KEY.slice(-4)}\n\n`,
      `id: ${KEY}\n\n`,
      `event: x-${KEY}\n\n`,
      `event: error\nid: sk-another-key-0000000000\n\n`, // an error's other lines lose key-shaped tokens
    ];
    // Content loses only the keys in play: other key-shaped words and escapes in comments stay.
    const kept = [
      ": sk-another-key-0000000000\n\n",
      `: ${"A".repeat(40)}\n\n`,
      ": \\u0073k-escaped-0000000000\n\n",
    ];
    const redacted = ["", "", "", "event: x-[redacted]\n\n", "event: error\n\n"];
    const input = Buffer.from(first + flood + [...quoting, ...kept].join(flood) + flood + last);
    const expected = first + flood + [...redacted, ...kept].join(flood) + flood + last;
    for (const size of [input.length, 1000, 13]) {
      const { text, failure } = await through(create(), cut(input, size));
      assert.equal(failure, null);
      assertSame(text, expected, `cut every ${size} bytes`);
    }
  });
}

test("the OpenAI tap: a flood past the bound in one chunk (as the pump joins it) ends with invalid_upstream_event", async () => {
  const { text, failure } = await through(TAPS[0]?.[1]() as RelayTransform, [
    Buffer.from(OPENAI_FIRST + "\n".repeat(4 * 1024 * 1024) + LAST),
  ]);
  assert.equal(failure?.code, "invalid_upstream_event");
  assertSame(
    text,
    OPENAI_FIRST + "\n".repeat(MAX_DATALESS_EVENTS) + failureEvent(failure as GatewayError),
    "whole",
  );
});
