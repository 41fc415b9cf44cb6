/**
 * @module translate/json-object
 * The lenient reading of untyped JSON every translator shares: is this an object, a string, a list.
 */

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `value` when it is a string, else null. */
export function readString(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

/** Whether a request field is absent: missing or JSON null (OpenAI's SDKs send both). */
export function isAbsent(value: unknown): value is null | undefined {
  return value === undefined || value === null;
}
