/**
 * @module wire/openai/read-openai-error
 * Reads the message, code and param out of an OpenAI-style error body (`{error: {...}}`, Google's
 * `[{error: {...}}]`, or a bare `{message}`), leniently; nothing else of the body is kept.
 */

export interface OpenAiErrorFields {
  readonly message: string | null;
  readonly code: string | null;
  readonly param: string | null;
}

const asRecord = (value: unknown): Record<string, unknown> | null =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;

export function readOpenAiError(body: unknown): OpenAiErrorFields {
  const outer = asRecord(Array.isArray(body) ? body[0] : body);
  if (outer === null) return { message: null, code: null, param: null };
  const inner = asRecord(outer.error) ?? outer;
  const message =
    typeof inner.message === "string" ? inner.message : typeof outer.error === "string" ? outer.error : null;
  const rawCode = inner.code ?? inner.status ?? null;
  const code = typeof rawCode === "string" ? rawCode : typeof rawCode === "number" ? String(rawCode) : null;
  const param = typeof inner.param === "string" ? inner.param : null;
  return { message, code, param };
}
