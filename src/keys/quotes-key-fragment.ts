/**
 * @module keys/quotes-key-fragment
 * Whether a text quotes a stretch of a key in a disguised form (spaced out, percent-encoded, case changed,
 * only its tail): what a hostile endpoint's message may do to slip past exact redaction.
 */
import type { SecretKey } from "./secret-key.ts";

/** Letters and digits of a key this long in a row count as quoting it (prefixes like `sk-proj-` are shorter). */
const WINDOW = 12;

/** Letters and digits only, lowercased, after percent-decoding where it decodes. */
function normalize(text: string): string {
  let decoded = text;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    // Not valid percent-encoding: read as it is.
  }
  return decoded.toLowerCase().replace(/[^a-z0-9]/g, "");
}

export function quotesKeyFragment(text: string, secrets: readonly SecretKey[]): boolean {
  const haystack = normalize(text);
  if (haystack.length < WINDOW) return false;
  for (const secret of secrets) {
    const key = normalize(secret.reveal());
    for (let start = 0; start + WINDOW <= key.length; start += 1) {
      if (haystack.includes(key.slice(start, start + WINDOW))) return true;
    }
  }
  return false;
}
