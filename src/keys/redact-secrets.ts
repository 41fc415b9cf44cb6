/**
 * @module keys/redact-secrets
 * Removes keys from untrusted text before it reaches a client or a log: the exact keys in play and masked
 * forms built from their first and last characters (relayed content: `redactKeysInPlay`), and also any
 * key-shaped token (provider error text and logs: `redactSecrets`). Hand-written scanners, no regular
 * expression: linear time and constant stack on any input (a backtracking regex overflowed the stack on a few MB).
 */
import type { SecretKey } from "./secret-key.ts";

export const REDACTED = "[redacted]";

/** Vendor key prefixes: a token starting with one after a word boundary is a key from 7 more characters. */
const VENDOR_PREFIXES = ["sk", "pk", "rk", "gsk", "xai", "AIza"] as const;
/** Characters after a vendor prefix (masks included); the material never ends on a `.`. */
const VENDOR_MIN_MATERIAL = 7;
/** Any run of key characters this long is an opaque key-shaped token. */
const OPAQUE_MIN_LENGTH = 32;
/** A masked form may name the key's first 2 characters up to this many characters before the mask. */
const MASK_HEAD_REACH = 10;

const ELLIPSIS = 0x2026;
const BULLET = 0x2022;
const DOT = 0x2e;
const STAR = 0x2a;

const isWordChar = (code: number): boolean =>
  (code >= 0x30 && code <= 0x39) ||
  (code >= 0x41 && code <= 0x5a) ||
  (code >= 0x61 && code <= 0x7a) ||
  code === 0x5f;

/** `[-_A-Za-z0-9*…•]`: what a key (or its mask) is made of. */
const isKeyChar = (code: number): boolean =>
  isWordChar(code) || code === 0x2d || code === STAR || code === ELLIPSIS || code === BULLET;

/** The end of a vendor-prefixed key starting at `at`, or -1. */
function vendorKeyEnd(text: string, at: number): number {
  if (at > 0 && isWordChar(text.charCodeAt(at - 1))) return -1; // `\b` before the prefix
  const prefix = VENDOR_PREFIXES.find((candidate) => text.startsWith(candidate, at));
  if (prefix === undefined) return -1;
  const from = at + prefix.length;
  let end = from;
  let lastNonDot = -1;
  while (end < text.length) {
    const code = text.charCodeAt(end);
    if (code === DOT) end++;
    else if (isKeyChar(code)) lastNonDot = end++;
    else break;
  }
  return lastNonDot + 1 - from >= VENDOR_MIN_MATERIAL ? lastNonDot + 1 : -1;
}

/** Every key-shaped token replaced: a vendor prefix with its material, or 32+ opaque key characters. */
function redactKeyShaped(text: string): string {
  let out = "";
  let copiedTo = 0;
  let index = 0;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (!isKeyChar(code)) {
      index++;
      continue;
    }
    let end = vendorKeyEnd(text, index);
    if (end === -1) {
      // Cheap: a run shorter than the threshold is measured in fewer than OPAQUE_MIN_LENGTH steps, and a
      // longer one is consumed whole.
      let run = index + 1;
      while (run < text.length && isKeyChar(text.charCodeAt(run))) run++;
      if (run - index >= OPAQUE_MIN_LENGTH) end = run;
    }
    if (end === -1) {
      index++;
      continue;
    }
    out += text.slice(copiedTo, index) + REDACTED;
    copiedTo = end;
    index = end;
  }
  return copiedTo === 0 ? text : out + text.slice(copiedTo);
}

/** `[\s"'<>]`: what cannot sit between a masked form's head and its mask. */
const isMaskStop = (code: number): boolean =>
  code === 0x22 || code === 0x27 || code === 0x3c || code === 0x3e || /\s/.test(String.fromCharCode(code));

/** The start of the mask (`..`+, `**`+, `…`, `•`+) that ends just before `at`, not below `floor`; or -1. */
function maskStart(text: string, at: number, floor: number): number {
  const last = at - 1;
  if (last < floor) return -1;
  const code = text.charCodeAt(last);
  if (code === ELLIPSIS) return last;
  if (code !== DOT && code !== STAR && code !== BULLET) return -1;
  let start = last;
  while (start > floor && text.charCodeAt(start - 1) === code) start--;
  return code === BULLET || last - start >= 1 ? start : -1;
}

/** `abc...wxyz`, `sk-p…QZXW`, `***wxyz`: a mask before the key's last 4, its first 2 shortly before. */
function redactMasked(text: string, raw: string): string {
  const head = raw.slice(0, 2);
  const tail = raw.slice(-4);
  let out = "";
  let copiedTo = 0;
  let floor = 0;
  for (let at = text.indexOf(tail); at !== -1; at = text.indexOf(tail, at + 1)) {
    if (at < floor) continue;
    let start = maskStart(text, at, floor);
    if (start === -1) continue;
    // The head, at most MASK_HEAD_REACH characters (no space, quote or angle bracket) before the mask;
    // the farthest one, as a leftmost match would take it.
    let headAt = -1;
    for (let gap = 0, cursor = start; gap <= MASK_HEAD_REACH && cursor - 2 >= floor; gap++, cursor--) {
      if (text.startsWith(head, cursor - 2)) headAt = cursor - 2;
      if (isMaskStop(text.charCodeAt(cursor - 1))) break;
    }
    if (headAt !== -1) start = headAt;
    out += text.slice(copiedTo, start) + REDACTED;
    copiedTo = at + tail.length;
    floor = copiedTo;
  }
  return copiedTo === 0 ? text : out + text.slice(copiedTo);
}

function redactAs(text: string, secrets: readonly SecretKey[], keyShaped: boolean): string {
  let result = text;
  for (const secret of secrets) {
    const raw = secret.reveal();
    if (raw.length < 4) continue;
    result = result.replaceAll(raw, REDACTED);
    if (raw.length >= 8) result = redactMasked(result, raw);
  }
  return keyShaped ? redactKeyShaped(result) : result;
}

const HEX_4 = /^[0-9a-fA-F]{4}$/;

/**
 * JSON text nested in a string (a tool call's arguments) read one level deeper: each `\uXXXX` of a character
 * that needs no escape, and each `\/`, decoded; every other escape (`\\`, `\"`, `\n`, a surrogate) kept with
 * the character it escapes. Linear: each backslash is looked at once.
 */
function decodeNestedEscapes(text: string): string {
  let out = "";
  let copiedTo = 0;
  let at = text.indexOf("\\");
  while (at !== -1 && at + 1 < text.length) {
    const next = text.charCodeAt(at + 1);
    let decoded: string | null = null;
    let length = 2;
    if (next === 0x2f) decoded = "/";
    else if (next === 0x75 && HEX_4.test(text.slice(at + 2, at + 6))) {
      const code = Number.parseInt(text.slice(at + 2, at + 6), 16);
      const plain = code >= 0x20 && code !== 0x22 && code !== 0x5c && (code < 0xd800 || code > 0xdfff);
      if (plain) decoded = String.fromCharCode(code);
      length = 6;
    }
    if (decoded !== null) {
      out += text.slice(copiedTo, at) + decoded;
      copiedTo = at + length;
    }
    at = text.indexOf("\\", at + length);
  }
  return copiedTo === 0 ? text : out + text.slice(copiedTo);
}

/**
 * The text redacted, and also read with its JSON escapes decoded (JSON nested in a string, as tool-call
 * arguments are): when a key shows only then, the decoded text is what is returned, redacted (the same JSON
 * once parsed).
 */
function redactNested(text: string, secrets: readonly SecretKey[], keyShaped: boolean): string {
  const redacted = redactAs(text, secrets, keyShaped);
  if (!redacted.includes("\\")) return redacted;
  const decoded = decodeNestedEscapes(redacted);
  if (decoded === redacted) return redacted;
  const deeper = redactAs(decoded, secrets, keyShaped);
  return deeper === decoded ? redacted : deeper;
}

/**
 * Provider error text and logs: every key in play (whole or masked) and every key-shaped token replaced
 * (an error may echo a key the gateway does not know it sent), nested escapes read as `redactNested` says.
 */
export function redactSecrets(text: string, secrets: readonly SecretKey[]): string {
  return redactNested(text, secrets, true);
}

/**
 * Relayed content (answers, stream events, translated events, transcripts): only the keys in play, whole
 * or masked, nested escapes included. Ids, hashes, UUIDs and words that merely look like keys stay as sent.
 */
export function redactKeysInPlay(text: string, secrets: readonly SecretKey[]): string {
  return redactNested(text, secrets, false);
}
