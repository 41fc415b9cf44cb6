/**
 * @module keys/create-key-quote-check
 * A cheap test of bytes for the keys in play (one `indexOf` per key, one more per key for its masked
 * form): what lets a relay pass a conforming event or frame unparsed only when it quotes no key, whole or
 * masked as providers echo it (`sk-pro...QZXW`, `sk-proj-****abcd`, `sk-p…QZXW`: a mask before the key's
 * last 4, as redact-secrets recognises it). A hit only sends the bytes to the full, parsed redaction;
 * escaped forms are caught by the relays' `\u` test.
 */
import type { SecretKey } from "./secret-key.ts";

/** Keys shorter than this are not searched for (redact-secrets ignores them too). */
const MIN_KEY_LENGTH = 4;
/** Keys this long have a masked form redact-secrets removes (their last 4 after a mask). */
const MIN_MASKED_KEY_LENGTH = 8;
const TAIL_LENGTH = 4;

const DOT = 0x2e;
const STAR = 0x2a;
/** `…` and `•` in UTF-8: E2 80 A6, E2 80 A2. */
const MASK_LEAD = 0xe2;
const MASK_MIDDLE = 0x80;
const ELLIPSIS_LAST = 0xa6;
const BULLET_LAST = 0xa2;
/** `…` and `•` as UTF-16 units. */
const ELLIPSIS = 0x2026;
const BULLET = 0x2022;

/** Whether a mask (`..`, `**`, `…`, `•`) ends just before `at` in `bytes`. */
function followsMask(bytes: Buffer, at: number): boolean {
  const last = bytes[at - 1];
  if (last === DOT || last === STAR) return bytes[at - 2] === last;
  return (
    (last === ELLIPSIS_LAST || last === BULLET_LAST) &&
    bytes[at - 2] === MASK_MIDDLE &&
    bytes[at - 3] === MASK_LEAD
  );
}

/** Whether a mask (`..`, `**`, `…`, `•`) ends just before `at` in `text` (a string's UTF-16 units). */
function followsMaskIn(text: string, at: number): boolean {
  const last = text.charCodeAt(at - 1);
  if (last === DOT || last === STAR) return text.charCodeAt(at - 2) === last;
  return last === ELLIPSIS || last === BULLET;
}

/** Whether `tail` occurs in `bytes` right after a mask. */
function quotesMasked(bytes: Buffer, tail: Buffer): boolean {
  for (let at = bytes.indexOf(tail, 2); at !== -1; at = bytes.indexOf(tail, at + 1))
    if (followsMask(bytes, at)) return true;
  return false;
}

export function createKeyQuoteCheck(secrets: readonly SecretKey[]): (bytes: Uint8Array) => boolean {
  const needles: Buffer[] = [];
  const tails: Buffer[] = [];
  for (const secret of secrets) {
    const raw = secret.reveal();
    if (raw.length >= MIN_KEY_LENGTH) needles.push(Buffer.from(raw, "utf8"));
    if (raw.length < MIN_MASKED_KEY_LENGTH) continue;
    const tail = raw.slice(-TAIL_LENGTH);
    tails.push(Buffer.from(tail, "utf8"));
    // As it reads inside a JSON string, when that differs (a `"` or `\` in a header's value).
    const quoted = JSON.stringify(tail).slice(1, -1);
    if (quoted !== tail) tails.push(Buffer.from(quoted, "utf8"));
  }
  return (bytes) => {
    const view = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    return (
      needles.some((needle) => view.indexOf(needle) !== -1) || tails.some((tail) => quotesMasked(view, tail))
    );
  };
}

/**
 * The same test on a decoded text (a whole answer), with no copy of it and nothing built per key: whether it
 * quotes a key in play whole, or its last 4 right after a mask (also as the tail reads inside a JSON string).
 */
export function quotesKeyIn(text: string, secrets: readonly SecretKey[]): boolean {
  for (const secret of secrets) {
    const raw = secret.reveal();
    if (raw.length < MIN_KEY_LENGTH) continue;
    if (text.includes(raw)) return true;
    if (raw.length < MIN_MASKED_KEY_LENGTH) continue;
    const tail = raw.slice(-TAIL_LENGTH);
    if (quotesMaskedIn(text, tail)) return true;
    const quoted = asInJsonString(tail);
    if (quoted !== tail && quotesMaskedIn(text, quoted)) return true;
  }
  return false;
}

/**
 * `text` as it reads inside a JSON string: itself unless it holds a `"`, a `\`, a control character or a
 * surrogate (then JSON.stringify says; most calls skip its cost, which is most of a short text's test).
 */
function asInJsonString(text: string): string {
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff))
      return JSON.stringify(text).slice(1, -1);
  }
  return text;
}

function quotesMaskedIn(text: string, tail: string): boolean {
  for (let at = text.indexOf(tail, 1); at !== -1; at = text.indexOf(tail, at + 1))
    if (followsMaskIn(text, at)) return true;
  return false;
}
