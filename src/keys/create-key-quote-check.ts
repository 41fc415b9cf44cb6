/**
 * @module keys/create-key-quote-check
 * A cheap test of bytes for the keys in play (one `indexOf` per key): what lets a relay pass a conforming
 * event or frame unparsed only when it quotes no key verbatim. A hit only sends the bytes to the full,
 * parsed redaction; escaped forms are caught by the relays' `\u` test.
 */
import type { SecretKey } from "./secret-key.ts";

/** Keys shorter than this are not searched for (redact-secrets ignores them too). */
const MIN_KEY_LENGTH = 4;

export function createKeyQuoteCheck(secrets: readonly SecretKey[]): (bytes: Uint8Array) => boolean {
  const needles: Buffer[] = [];
  for (const secret of secrets) {
    const raw = secret.reveal();
    if (raw.length >= MIN_KEY_LENGTH) needles.push(Buffer.from(raw, "utf8"));
  }
  return (bytes) => {
    const view = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    return needles.some((needle) => view.indexOf(needle) !== -1);
  };
}
