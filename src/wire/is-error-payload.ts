/**
 * @module wire/is-error-payload
 * Whether parsed upstream JSON is error text (redacted also of key-shaped tokens) rather than content.
 */

/**
 * An object with an `error` member (OpenAI's envelope and in-stream error, a host's), or typed `error`
 * (Anthropic's, a Responses `error` event) or `response.failed`. Anything else is content.
 */
export function isErrorPayload(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const fields = value as { error?: unknown; type?: unknown };
  return (
    (fields.error !== undefined && fields.error !== null) ||
    fields.type === "error" ||
    fields.type === "response.failed"
  );
}

/** Whether an object at any depth has `finish_reason: "error"` (a choice that failed mid-answer). */
export function holdsErrorFinish(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(holdsErrorFinish);
  if (typeof value !== "object" || value === null) return false;
  const fields = value as Record<string, unknown>;
  if (fields.finish_reason === "error") return true;
  for (const member of Object.values(fields))
    if (typeof member === "object" && holdsErrorFinish(member)) return true;
  return false;
}

/**
 * Whether all of an event or answer is error text: an error payload, a `finish_reason` of `"error"`, or a
 * value `isContent` (the dialect's content shape) rejects, such as a host's `{"detail": …}` or an array.
 */
export function isErrorText(value: unknown, isContent: (value: unknown) => boolean): boolean {
  return !isContent(value) || isErrorPayload(value) || holdsErrorFinish(value);
}
