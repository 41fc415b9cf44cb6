/**
 * @module pipeline/redact-whole-answer
 * A whole upstream answer leaves as its own text unless its bytes may quote a key in play (whole or in the
 * masked form providers echo, behind a `\u` escape, in an `"error"`): then every decoded string of the
 * parsed answer is redacted, and it is re-serialized only when that changed something.
 */
import { mayCarryError } from "../wire/openai/create-sse-tap.ts";
import { redactJsonStrings } from "../wire/redact-json-strings.ts";

export interface WholeAnswerRedaction {
  /** Whether bytes quote a key in play, whole or masked (keys/create-key-quote-check.ts). */
  readonly quotesKey: (bytes: Uint8Array) => boolean;
  readonly redact: (text: string) => string;
}

/** The answer to send: `text` as received, or the parsed answer redacted and re-serialized. */
export function redactWholeAnswer(text: string, parsed: unknown, redaction: WholeAnswerRedaction): string {
  const bytes = Buffer.from(text);
  if (!mayCarryError(bytes) && !redaction.quotesKey(bytes)) return text;
  const redacted = redactJsonStrings(parsed, redaction.redact);
  return redacted.changed ? JSON.stringify(redacted.value) : text;
}
