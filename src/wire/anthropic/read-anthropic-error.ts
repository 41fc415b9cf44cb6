/**
 * @module wire/anthropic/read-anthropic-error
 * Reads the message and error type out of an Anthropic error body (`{type: "error", error: {type, message}}`
 * or a bare `{message}`), leniently; nothing else of the body is kept.
 */

export interface AnthropicErrorFields {
  readonly message: string | null;
  /** Anthropic's error type (`overloaded_error`, `invalid_request_error`, …). */
  readonly code: string | null;
}

export function readAnthropicError(body: unknown): AnthropicErrorFields {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { message: null, code: null };
  const outer = body as Record<string, unknown>;
  const inner =
    typeof outer.error === "object" && outer.error !== null && !Array.isArray(outer.error)
      ? (outer.error as Record<string, unknown>)
      : outer;
  const message = typeof inner.message === "string" ? inner.message : null;
  const code = typeof inner.type === "string" && inner.type !== "error" ? inner.type : null;
  return { message, code };
}
