/**
 * @module wire/openai/count-delta-text
 * Bytes of generated text in one streamed chunk (`"content":"…"`, tool-call `"arguments":"…"`,
 * `"reasoning_content":"…"`), read on bytes without parsing: the basis of a token estimate when a
 * stream ends before the provider reports usage.
 */

const FIELDS = ['"content":"', '"arguments":"', '"reasoning_content":"', '"reasoning":"'].map((field) =>
  Buffer.from(field),
);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function stringLength(view: Buffer, from: number): number {
  let index = from;
  while (index < view.length) {
    const byte = view[index];
    if (byte === BACKSLASH) index += 2;
    else if (byte === QUOTE) return index - from;
    else index++;
  }
  return index - from;
}

export function countDeltaText(event: Uint8Array): number {
  const view = Buffer.from(event.buffer, event.byteOffset, event.byteLength);
  let total = 0;
  for (const field of FIELDS) {
    for (let at = view.indexOf(field); at !== -1; at = view.indexOf(field, at + field.length)) {
      total += stringLength(view, at + field.length);
    }
  }
  return total;
}

/** About four bytes of English text per token: a deliberately simple, documented estimate. */
export function estimateTokens(bytes: number): number {
  return Math.ceil(bytes / 4);
}
