/**
 * @module wire/is-error-payload
 * Whether parsed upstream JSON is an error (its text provider error text, redacted also of key-shaped tokens).
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
