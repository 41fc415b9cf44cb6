/**
 * @module keys/create-key-quote-check
 * A cheap test of bytes for the keys in play (one `indexOf` per key, one more per key for its masked
 * form): what lets a relay pass a conforming event or frame unparsed only when it quotes no key, whole or
 * masked as providers echo it (`sk-pro...QZXW`, `sk-proj-****abcd`, `sk-p…QZXW`: a mask before the key's
 * last 4, as redact-secrets recognises it), also as it reads JSON-escaped (`\"`, `\\`, `\/`). A hit only sends
 * the bytes to the full, parsed redaction; `\u` escapes are caught by the relays' own `\u` test.
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

/** A character a JSON writer may escape (`"` and `\` always, `/` as `\/` by choice). */
const JSON_ESCAPED = /["\\/]/;

/**
 * The ways a value can read inside a JSON string without a `\u` escape (those send the bytes to the full,
 * parsed check on their own): as is, with `"` and `\` escaped, and with `/` also written `\/`.
 */
function jsonForms(value: string): string[] {
  if (!JSON_ESCAPED.test(value)) return [value];
  const quoted = JSON.stringify(value).slice(1, -1);
  return [...new Set([value, quoted, quoted.replaceAll("/", "\\/")])];
}

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
    if (raw.length < MIN_KEY_LENGTH) continue;
    for (const form of jsonForms(raw)) needles.push(Buffer.from(form, "utf8"));
    if (raw.length < MIN_MASKED_KEY_LENGTH) continue;
    for (const form of jsonForms(raw.slice(-TAIL_LENGTH))) tails.push(Buffer.from(form, "utf8"));
  }
  return (bytes) => {
    const view = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    return (
      needles.some((needle) => view.indexOf(needle) !== -1) || tails.some((tail) => quotesMasked(view, tail))
    );
  };
}

/**
 * The same test on a whole answer's JSON text, with no copy of it and nothing built per key on the common
 * path: whether it quotes a key in play whole, or its last 4 right after a mask, in any of its JSON forms.
 */
export function quotesKeyIn(text: string, secrets: readonly SecretKey[]): boolean {
  for (const secret of secrets) {
    const raw = secret.reveal();
    if (raw.length < MIN_KEY_LENGTH) continue;
    const tail = raw.length < MIN_MASKED_KEY_LENGTH ? null : raw.slice(-TAIL_LENGTH);
    if (!JSON_ESCAPED.test(raw)) {
      if (text.includes(raw) || (tail !== null && quotesMaskedIn(text, tail))) return true;
      continue;
    }
    for (const form of jsonForms(raw)) if (text.includes(form)) return true;
    if (tail !== null) for (const form of jsonForms(tail)) if (quotesMaskedIn(text, form)) return true;
  }
  return false;
}

function quotesMaskedIn(text: string, tail: string): boolean {
  for (let at = text.indexOf(tail, 1); at !== -1; at = text.indexOf(tail, at + 1))
    if (followsMaskIn(text, at)) return true;
  return false;
}

/**
 * Whether a JSON text holds an escape that could hide a key from the tests above one level down (JSON nested
 * in a string, as tool-call arguments are: `\\u0073k-…` or `\\/` in the outer text), so that it is parsed
 * and its strings redacted with their escapes decoded (redact-secrets.ts).
 */
function holdsNestedEscape(text: string): boolean {
  return text.includes("\\u") || text.includes("\\/");
}

/**
 * The text pre-check of whole answers and translated events: whether a JSON text may quote a key in play,
 * whole, masked or behind an escape, so that it must be parsed and its strings redacted.
 */
export function mayQuoteKeyIn(text: string, secrets: readonly SecretKey[]): boolean {
  return holdsNestedEscape(text) || quotesKeyIn(text, secrets);
}

/** Keys shorter than this are not looked for in names (a local server's key `local` in `local-model`). */
export const MIN_KEY_IN_NAME_LENGTH = 8;

/** The keys long enough to be looked for in a name (a model's, a header's); empty when none is. */
export function keysToFindInNames(keys: Iterable<SecretKey>): SecretKey[] {
  const found: SecretKey[] = [];
  for (const key of keys) if (key.length >= MIN_KEY_IN_NAME_LENGTH) found.push(key);
  return found;
}
