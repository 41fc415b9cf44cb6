/**
 * @module keys/redact-secrets
 * Removes keys from untrusted text (an upstream error message may echo the key it was sent, whole or
 * masked) before it reaches a client or a log: the exact keys in play, masked forms built from their
 * first and last characters, and any key-shaped token.
 */
import type { SecretKey } from "./secret-key.ts";

export const REDACTED = "[redacted]";

/**
 * Vendor key prefixes followed by key material (masked `***`/`…` forms included), and any long opaque
 * token. The material never ends on a `.`, so a sentence's full stop survives.
 */
const KEY_SHAPED = /\b(?:sk|pk|rk|gsk|xai|AIza)[-_A-Za-z0-9*.…•]{6,}[-_A-Za-z0-9*…•]|[A-Za-z0-9_\-*…•]{32,}/g;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `abc...wxyz`, `sk-p…QZXW`, `***wxyz`: a mask (dots, stars, an ellipsis or bullets) before the key's last 4. */
function maskedForms(raw: string): RegExp {
  const head = escapeRegExp(raw.slice(0, 2));
  const tail = escapeRegExp(raw.slice(-4));
  return new RegExp(`(?:${head}[^\\s"'<>]{0,10}?)?(?:\\.{2,}|\\*{2,}|…|•+)${tail}`, "g");
}

export function redactSecrets(text: string, secrets: readonly SecretKey[]): string {
  let result = text;
  for (const secret of secrets) {
    const raw = secret.reveal();
    if (raw.length < 4) continue;
    result = result.replaceAll(raw, REDACTED);
    if (raw.length >= 8) result = result.replace(maskedForms(raw), REDACTED);
  }
  return result.replace(KEY_SHAPED, REDACTED);
}
