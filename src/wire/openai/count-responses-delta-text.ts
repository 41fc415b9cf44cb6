/**
 * @module wire/openai/count-responses-delta-text
 * Bytes of generated text in one Responses API event (the `"delta":"…"` of text, refusal, reasoning and
 * function-argument deltas), read on bytes without parsing: the basis of a token estimate when a stream
 * ends before `response.completed` reports usage. Whole-text `…done` events are not counted twice.
 */

const DELTA = Buffer.from('"delta":"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export function countResponsesDeltaText(event: Uint8Array): number {
  const view = Buffer.from(event.buffer, event.byteOffset, event.byteLength);
  let total = 0;
  for (let at = view.indexOf(DELTA); at !== -1; at = view.indexOf(DELTA, at + DELTA.length)) {
    let index = at + DELTA.length;
    while (index < view.length && view[index] !== QUOTE) index += view[index] === BACKSLASH ? 2 : 1;
    total += Math.min(index, view.length) - (at + DELTA.length);
  }
  return total;
}
