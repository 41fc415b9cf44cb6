/**
 * @module test/wire/count-delta-text
 * The one-pass text count of a streamed chunk (issue 18) counts exactly what a native search per field
 * counted before it (kept here as the reference): seeded fuzz over events built from the fields, their
 * prefixes, quotes, escapes and random bytes, plus the cases that name each rule.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { countDeltaText } from "../../src/wire/openai/count-delta-text.ts";

const SEED = 1818;
const FIELDS = ['"content":"', '"arguments":"', '"reasoning_content":"', '"reasoning":"'].map((field) =>
  Buffer.from(field),
);

/** The implementation before issue 18: one `indexOf` loop per field. */
function referenceCount(event: Uint8Array): number {
  const view = Buffer.from(event.buffer, event.byteOffset, event.byteLength);
  const stringLength = (from: number) => {
    let index = from;
    while (index < view.length) {
      const byte = view[index];
      if (byte === 0x5c) index += 2;
      else if (byte === 0x22) return index - from;
      else index++;
    }
    return index - from;
  };
  let total = 0;
  for (const field of FIELDS) {
    for (let at = view.indexOf(field); at !== -1; at = view.indexOf(field, at + field.length)) {
      total += stringLength(at + field.length);
    }
  }
  return total;
}

const piece = fc.oneof(
  fc.constantFrom(
    '"content":"',
    '"arguments":"',
    '"reasoning_content":"',
    '"reasoning":"',
    '"content":',
    '"reasoning',
    '"',
    "\\",
    '\\"',
    "c",
    "r",
    "a",
    ":",
    "data: ",
    "\n\n",
    '{"choices":[{"delta":{',
    "}}]}",
  ),
  fc.string({ maxLength: 6 }),
  fc.uint8Array({ maxLength: 6 }).map((bytes) => Buffer.from(bytes).toString("latin1")),
);

test("counts what one search per field counts, on any bytes", () => {
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 40 }), fc.nat(8), (pieces, offset) => {
      const bytes = Buffer.from(pieces.join(""), "latin1");
      // A view inside a larger buffer, as the tap passes events.
      const padded = Buffer.concat([Buffer.alloc(offset, 0x22), bytes]);
      const event = padded.subarray(offset);
      assert.equal(countDeltaText(event), referenceCount(event));
    }),
    { seed: SEED, numRuns: 3000 },
  );
});

test("counts each field's string up to its closing quote, escapes skipped", () => {
  const chunk = (delta: string) => Buffer.from(`data: {"choices":[{"delta":${delta}}]}\n\n`);
  assert.equal(countDeltaText(chunk('{"content":"hello"}')), 5);
  assert.equal(countDeltaText(chunk('{"content":"a\\"b"}')), 4);
  assert.equal(countDeltaText(chunk('{"reasoning_content":"abc","content":"de"}')), 5);
  assert.equal(countDeltaText(chunk('{"reasoning":"abc"}')), 3);
  assert.equal(countDeltaText(chunk('{"tool_calls":[{"function":{"arguments":"{\\"x\\":1}"}}]}')), 9);
  assert.equal(countDeltaText(chunk('{"role":"assistant","content":null}')), 0);
  // An unterminated string counts to the end of the bytes.
  assert.equal(countDeltaText(Buffer.from('"content":"abc')), 3);
  assert.equal(countDeltaText(new Uint8Array(0)), 0);
});
