/**
 * @module test/wire/responses-tap-invalid-json
 * The Responses pass-through tap never relays an event that looks typed by its bytes but is no JSON (a delta
 * cut short yet ending in `}`, a trailing comma) as a well-formed event, in one chunk or split.
 */
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import type { GatewayError } from "../../src/errors/gateway-error.ts";
import { createResponsesUsageTap } from "../../src/wire/openai/create-responses-usage-tap.ts";

const delta = (text: string, seq: number) =>
  `data: {"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"${text}","sequence_number":${seq}}\n\n`;

const MALFORMED: ReadonlyArray<readonly [string, string]> = [
  [
    "a delta cut short, ending in `}`",
    `data: {"type":"response.output_text.delta","item_id":"msg_1","x":{"delta":"hi","sequence_number":3}\n\n`,
  ],
  [
    "a delta with a trailing comma",
    `data: {"type":"response.output_text.delta","item_id":"msg_1","delta":"hi","sequence_number":3,}\n\n`,
  ],
];

const failureEvent = (failure: GatewayError, sequence: number) =>
  `data: ${JSON.stringify({ type: "error", code: failure.code, sequence_number: sequence })}\n\n`;

async function run(chunks: readonly string[]) {
  const out: Buffer[] = [];
  const tap = createResponsesUsageTap({ onUsage: () => {}, failureEvent, redact: (text) => text });
  tap.on("data", (piece: Buffer | string) => out.push(Buffer.from(piece)));
  const ended = new Promise((resolve) => tap.once("end", resolve));
  Readable.from(chunks.map((chunk) => Buffer.from(chunk))).pipe(tap);
  await ended;
  return Buffer.concat(out).toString();
}

for (const [name, bad] of MALFORMED) {
  test(`Responses tap: ${name} is not relayed as a well-formed event`, async () => {
    const events = [delta("a", 1), delta("b", 2), bad, delta("c", 4)];
    const whole = events.join("");
    for (const chunks of [events, [whole]]) {
      const text = await run(chunks);
      assert.ok(!text.includes(bad), `relayed as received (${chunks.length} chunks): ${text}`);
      assert.match(text, /invalid_upstream_event/, text);
    }
  });
}
