/**
 * @module test/wire/malformed-responses-event
 * Responses API events that pass the tap's byte check (one typed line of `data: {…}` ending in `}`) yet are
 * no JSON: never relayed, never read for usage; the stream ends with `invalid_upstream_event`, whole or cut
 * anywhere, while conforming deltas still go through unparsed once their shape parsed.
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import { createResponsesUsageTap } from "../../src/wire/openai/create-responses-usage-tap.ts";
import type { TokenUsage } from "../../src/wire/openai/openai-usage.ts";
import { encodeResponsesErrorEvent } from "../../src/wire/openai/responses-error-event.ts";
import { invalidUpstreamEvent } from "../../src/wire/openai/sse-event-check.ts";

const event = (type: string, json: string) => `event: ${type}\ndata: ${json}\n\n`;
const CREATED = event(
  "response.created",
  '{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","status":"in_progress","output":[]}}',
);
const WHERE = '"item_id":"msg_1","output_index":0,"content_index":0';
const delta = (sequence: number | string, text: string, logprobs = "[]") =>
  event(
    "response.output_text.delta",
    `{"type":"response.output_text.delta","sequence_number":${sequence},${WHERE},"delta":"${text}","logprobs":${logprobs}}`,
  );
const USAGE = '"usage":{"input_tokens":3,"output_tokens":14,"total_tokens":17}';
const completed = (usage: string, close = "}}") =>
  event(
    "response.completed",
    `{"type":"response.completed","sequence_number":5,"response":{"id":"resp_1","object":"response","status":"completed","output":[],${usage}${close}`,
  );

/** Events the byte check took for typed ones (each is the stream's 4th event, sequence number 3). */
const MALFORMED: ReadonlyArray<readonly [string, string]> = [
  ["a text delta cut short (its `]}` missing)", `${delta(3, "hi", '[{"token":"hi"}').slice(0, -3)}\n\n`],
  ["a text delta with a `}` misplaced", delta(3, "hi", "[}]")],
  ["a text delta holding a raw control character", delta(3, "h\ti")],
  ["a text delta holding an unknown escape", delta(3, "h\\qi")],
  ["a text delta whose sequence number has a leading zero", delta("03", "hi")],
  ["a response.completed whose usage has a trailing comma", completed(`${USAGE.slice(0, -1)},}`)],
  ["a response.completed cut short (a `}` missing)", completed(USAGE, "}")],
];

async function run(chunks: readonly string[]) {
  const usages: TokenUsage[] = [];
  const out: Buffer[] = [];
  const tap = createResponsesUsageTap({
    onUsage: (usage) => usages.push(usage),
    failureEvent: encodeResponsesErrorEvent,
  });
  tap.on("data", (piece: Buffer | string) => out.push(Buffer.from(piece)));
  const ended = new Promise((resolve) => tap.once("end", resolve));
  Readable.from(chunks.map((chunk) => Buffer.from(chunk))).pipe(tap);
  await ended;
  return { text: Buffer.concat(out).toString(), usages };
}

const FAILED = encodeResponsesErrorEvent(invalidUpstreamEvent(), 3);

for (const [name, bad] of MALFORMED) {
  test(`Responses tap: ${name}: the stream ends with invalid_upstream_event`, async () => {
    const events = [CREATED, delta(1, "a"), delta(2, "b"), bad, delta(4, "c"), completed(USAGE)];
    const whole = events.join("");
    // One chunk per event, all in one chunk (cleared events), and cut byte by byte.
    for (const chunks of [events, [whole], [...whole]]) {
      const result = await run(chunks);
      assert.equal(result.text, events.slice(0, 3).join("") + FAILED, `${chunks.length} chunks`);
      assert.deepEqual(result.usages, [], "no usage read past an invalid event");
    }
  });
}

test("Responses tap: conforming events of one shape (other text, another number) pass, their usage read", async () => {
  const events = [
    CREATED,
    delta(1, "a"),
    delta(2, 'say \\"hi\\" \\u00e9\\n'),
    delta(10, ""),
    completed(USAGE),
  ];
  const whole = events.join("");
  for (const chunks of [events, [whole], [...whole]]) {
    const result = await run(chunks);
    assert.equal(result.text, whole, `${chunks.length} chunks`);
    assert.deepEqual(result.usages, [{ inputTokens: 3, outputTokens: 14, cachedInputTokens: 0 }]);
  }
});
