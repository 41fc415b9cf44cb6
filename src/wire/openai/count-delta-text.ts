/**
 * @module wire/openai/count-delta-text
 * Bytes of generated text in one streamed chunk (`"content":"…"`, tool-call `"arguments":"…"`,
 * `"reasoning_content":"…"`), read on bytes without parsing: the basis of a token estimate when a
 * stream ends before the provider reports usage.
 */

/**
 * The fields whose string values are generated text. Every one opens with a quote: the scan stops only
 * at quotes and tells the fields apart by the byte after it.
 */
const FIELDS = ['"content":"', '"arguments":"', '"reasoning_content":"', '"reasoning":"'].map((field) =>
  Buffer.from(field),
);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function stringLength(view: Uint8Array, from: number): number {
  let index = from;
  while (index < view.length) {
    const byte = view[index];
    if (byte === BACKSLASH) index += 2;
    else if (byte === QUOTE) return index - from;
    else index++;
  }
  return index - from;
}

function startsWith(view: Uint8Array, at: number, field: Uint8Array): boolean {
  if (at + field.length > view.length) return false;
  for (let index = 1; index < field.length; index++) if (view[at + index] !== field[index]) return false;
  return true;
}

/**
 * One pass over the bytes (a native search per field cost more than the scan on events of a few hundred
 * bytes). Counts what a search per field would: each field's occurrences, none overlapping another of
 * the same field, each followed by its string's length up to the closing quote.
 */
export function countDeltaText(event: Uint8Array): number {
  let total = 0;
  // Where each field's next occurrence may start (a search resumes after the previous occurrence).
  let from0 = 0;
  let from1 = 0;
  let from2 = 0;
  let from3 = 0;
  const last = event.length - 1;
  for (let at = 0; at < last; at++) {
    if (event[at] !== QUOTE) continue;
    const next = event[at + 1];
    if (next === 0x63 /* c */) {
      if (at >= from0 && startsWith(event, at, FIELDS[0]!)) {
        from0 = at + FIELDS[0]!.length;
        total += stringLength(event, from0);
      }
    } else if (next === 0x61 /* a */) {
      if (at >= from1 && startsWith(event, at, FIELDS[1]!)) {
        from1 = at + FIELDS[1]!.length;
        total += stringLength(event, from1);
      }
    } else if (next === 0x72 /* r */) {
      if (at >= from2 && startsWith(event, at, FIELDS[2]!)) {
        from2 = at + FIELDS[2]!.length;
        total += stringLength(event, from2);
      }
      if (at >= from3 && startsWith(event, at, FIELDS[3]!)) {
        from3 = at + FIELDS[3]!.length;
        total += stringLength(event, from3);
      }
    }
  }
  return total;
}

/** About four bytes of English text per token: a deliberately simple, documented estimate. */
export function estimateTokens(bytes: number): number {
  return Math.ceil(bytes / 4);
}
