/**
 * @module keys/redact-secrets
 * Removes keys from untrusted text (an upstream error message may echo the key it was sent, whole or
 * masked) before it reaches a client or a log: the exact keys in play, and any key-shaped token.
 */
import type { SecretKey } from "./secret-key.ts";

export const REDACTED = "[redacted]";

/** Vendor key prefixes followed by key material (masked `***` forms included), and any long opaque token. */
const KEY_SHAPED = /\b(?:sk|pk|rk|gsk|xai|AIza)[-_A-Za-z0-9*.]{8,}|[A-Za-z0-9_\-*]{32,}/g;

export function redactSecrets(text: string, secrets: readonly SecretKey[]): string {
  let result = text;
  for (const secret of secrets) {
    const raw = secret.reveal();
    if (raw.length >= 4) result = result.replaceAll(raw, REDACTED);
  }
  return result.replace(KEY_SHAPED, REDACTED);
}
