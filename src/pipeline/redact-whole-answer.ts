/**
 * @module pipeline/redact-whole-answer
 * A whole answer leaves as its own text unless it may quote a key in play (whole or in the masked form
 * providers echo, behind a `\u` escape, in an `"error"`) or is not content: then every decoded string of the
 * parsed answer is redacted of the keys in play (error text, also of key-shaped tokens: an error payload, an
 * answer with a `finish_reason` of `"error"`, one of no content shape, the subtree under any `error` member),
 * and it is re-serialized only when that changed something. Relayed and translated answers alike.
 */
import { mayQuoteKeyIn, quotesKeyIn } from "../keys/create-key-quote-check.ts";
import { redactKeysInPlay, redactSecrets } from "../keys/redact-secrets.ts";
import type { SecretKey } from "../keys/secret-key.ts";
import { isErrorText } from "../wire/is-error-payload.ts";
import { redactJsonStrings } from "../wire/redact-json-strings.ts";

/**
 * Content: an object answer of a known shape (a chat completion's `choices`, a Responses `output`, a list's
 * `data`, an Anthropic message's `content`). Anything else (a host's `{"detail": …}`, an array) is error text.
 */
function isAnswerContent(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const fields = value as Record<string, unknown>;
  return (
    Array.isArray(fields.choices) ||
    Array.isArray(fields.output) ||
    Array.isArray(fields.data) ||
    (fields.type === "message" && Array.isArray(fields.content))
  );
}

/**
 * Every decoded string of `parsed` redacted; `text` when that changed nothing. Content loses only the keys in
 * play (an id or a word that looks like a key is the answer); error text is provider error text.
 */
function redactParsed(text: string, parsed: unknown, secrets: readonly SecretKey[]): string {
  const redactError = (value: string) => redactSecrets(value, secrets);
  const redact = isErrorText(parsed, isAnswerContent)
    ? redactError
    : (value: string) => redactKeysInPlay(value, secrets);
  const redacted = redactJsonStrings(parsed, redact, redactError);
  // A key the text quotes that the parsed value no longer holds (a member named twice: the parser keeps the
  // last) goes with the re-serialization too.
  return redacted.changed || quotesKeyIn(text, secrets) ? JSON.stringify(redacted.value) : text;
}

/**
 * The answer to send: `text` as received, or the parsed answer redacted and re-serialized. The test runs on
 * the text itself (no byte copy, no per-call closure): the common answer costs a few substring searches.
 */
export function redactWholeAnswer(text: string, parsed: unknown, secrets: readonly SecretKey[]): string {
  if (!text.includes('"error"') && isAnswerContent(parsed) && !mayQuoteKeyIn(text, secrets)) return text;
  return redactParsed(text, parsed, secrets);
}

/**
 * A translated answer, serialized: the gateway's own JSON (its errors were redacted when mapped), so the key
 * test decides whether its strings are redacted, and an escape nested in one (a tool call's arguments).
 */
export function serializeTranslatedAnswer(answer: unknown, secrets: readonly SecretKey[]): string {
  const text = JSON.stringify(answer);
  return mayQuoteKeyIn(text, secrets) ? redactParsed(text, answer, secrets) : text;
}

/**
 * A transcript (a prerecorded answer, or its callback acknowledgement): content whatever its shape, so only
 * the keys in play are redacted from its strings (its ids and hashes are the provider's, left as sent).
 */
export function redactTranscript(text: string, parsed: unknown, secrets: readonly SecretKey[]): string {
  if (!mayQuoteKeyIn(text, secrets)) return text;
  const redact = (value: string) => redactKeysInPlay(value, secrets);
  const redacted = redactJsonStrings(parsed, redact, redact);
  return redacted.changed || quotesKeyIn(text, secrets) ? JSON.stringify(redacted.value) : text;
}
