/**
 * @module pipeline/redact-whole-answer
 * A whole upstream answer leaves as its own text unless it may quote a key in play (whole or in the masked
 * form providers echo, behind a `\u` escape, in an `"error"`): then every decoded string of the parsed
 * answer is redacted, and it is re-serialized only when that changed something.
 */
import { quotesKeyIn } from "../keys/create-key-quote-check.ts";
import { redactSecrets } from "../keys/redact-secrets.ts";
import type { SecretKey } from "../keys/secret-key.ts";
import { redactJsonStrings } from "../wire/redact-json-strings.ts";

/**
 * The answer to send: `text` as received, or the parsed answer redacted and re-serialized. The test runs on
 * the text itself (no byte copy, no per-call closure): the common answer costs a few substring searches.
 */
export function redactWholeAnswer(text: string, parsed: unknown, secrets: readonly SecretKey[]): string {
  if (!text.includes('"error"') && !text.includes("\\u") && !quotesKeyIn(text, secrets)) return text;
  const redacted = redactJsonStrings(parsed, (value) => redactSecrets(value, secrets));
  return redacted.changed ? JSON.stringify(redacted.value) : text;
}
