/**
 * @module wire/deepgram/read-deepgram-error
 * Reads the message and code out of a Deepgram error body, leniently: the legacy `{err_code, err_msg}`,
 * the modern `{category, message, details}`, or nothing; nothing else of the body is kept.
 */

export interface DeepgramErrorFields {
  readonly message: string | null;
  readonly code: string | null;
}

const text = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);

export function readDeepgramError(body: unknown): DeepgramErrorFields {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { message: null, code: null };
  const record = body as Record<string, unknown>;
  const message = text(record.err_msg) ?? text(record.message) ?? text(record.details);
  const code = text(record.err_code) ?? text(record.category);
  return { message, code };
}
