/**
 * @module wire/parse-upstream-json
 * The one JSON parse of upstream text (a whole answer, a stream event's data): nesting deeper than
 * MAX_UPSTREAM_JSON_DEPTH is refused before `JSON.parse`, so no later walk or `JSON.stringify` of the
 * value can overflow the stack.
 */
import { checkJsonDepth } from "./check-json-depth.ts";

/** The deepest nesting of arrays and objects accepted in an upstream answer or stream event. */
export const MAX_UPSTREAM_JSON_DEPTH = 512;

export type UpstreamJson =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: "too_deep" | "invalid" };

export function parseUpstreamJson(text: string): UpstreamJson {
  if (!checkJsonDepth(text, MAX_UPSTREAM_JSON_DEPTH)) return { ok: false, reason: "too_deep" };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, reason: "invalid" };
  }
}
