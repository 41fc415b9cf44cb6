/**
 * @module wire/openai/sse-event-check
 * The checks every relayed SSE event passes (ONE policy on every ingress, docs/api.md): an event over the
 * cap, a line that is no SSE field, or data that is not the dialect's JSON (or nests deeper than
 * MAX_UPSTREAM_JSON_DEPTH) ends the stream with `upstream_error` (`event_too_large`,
 * `invalid_upstream_event`). A cheap byte test clears the usual one-line `data: {…}` event; only what it
 * cannot clear is parsed in full.
 */
import { GatewayError } from "../../errors/gateway-error.ts";
import { parseUpstreamJson } from "../parse-upstream-json.ts";

/** The most bytes one upstream SSE event may hold (a partial event waiting included): 1 MiB. */
export const MAX_SSE_EVENT_BYTES = 1024 * 1024;

export const eventTooLarge = (limit: number): GatewayError =>
  new GatewayError("upstream_error", {
    message: `The provider sent a stream event larger than ${limit} bytes.`,
    code: "event_too_large",
  });

export const invalidUpstreamEvent = (): GatewayError =>
  new GatewayError("upstream_error", {
    message: "The provider sent a stream event the gateway could not read.",
    code: "invalid_upstream_event",
  });

const LF = 0x0a;
const CR = 0x0d;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const DATA_OBJECT = Buffer.from("data: {");
const DONE_EVENT = Buffer.from("data: [DONE]");
const EVENT_FIELD = Buffer.from("event: ");

/** Whether `bytes` holds `prefix` at `at` (compared in place: no view is made). */
function holdsAt(bytes: Buffer, at: number, prefix: Buffer): boolean {
  if (at + prefix.length > bytes.length) return false;
  for (let index = 0; index < prefix.length; index++) if (bytes[at + index] !== prefix[index]) return false;
  return true;
}

/**
 * Whether the event is `(event: name LF)? data: {…} LF LF`, the JSON on one line ending in `}`, and holds
 * `needle` (a byte string that only the dialect's valid JSON has, e.g. `"choices":[`). `oneLine`: the
 * caller already knows the event is one line without a CR and its blank line (the scans are skipped).
 */
export function isOneLineJsonEvent(event: Buffer, needles: readonly Buffer[], oneLine = false): boolean {
  let from = 0;
  if (!oneLine && event[0] === 0x65 && holdsAt(event, 0, EVENT_FIELD)) {
    from = event.indexOf(LF);
    if (from === -1) return false;
    from++;
  }
  if (!holdsAt(event, from, DATA_OBJECT)) return false;
  if (!oneLine) {
    const lineEnd = event.indexOf(LF, from);
    if (lineEnd === -1 || lineEnd + 2 !== event.length || event[lineEnd + 1] !== LF) return false;
    if (event.indexOf(CR, from) !== -1) return false;
  }
  if (event[event.length - 3] !== CLOSE_BRACE) return false;
  for (const needle of needles) if (holds(event, needle, from)) return true;
  return false;
}

/** The tail (all but the opening quote) of each needle searched so far. */
const tails = new WeakMap<Buffer, Buffer>();

/**
 * Whether `needle` occurs in `event` from `from`. One that opens with a quote is found by its tail (a
 * native search stops at every quote of JSON, several times slower), the quote then checked.
 */
function holds(event: Buffer, needle: Buffer, from: number): boolean {
  if (needle[0] !== QUOTE) return event.indexOf(needle, from) !== -1;
  let tail = tails.get(needle);
  if (tail === undefined) {
    tail = needle.subarray(1);
    tails.set(needle, tail);
  }
  for (let at = event.indexOf(tail, from + 1); at !== -1; at = event.indexOf(tail, at + 1))
    if (event[at - 1] === QUOTE) return true;
  return false;
}

/** `data: [DONE]` and its blank line. */
export function isDoneEvent(event: Buffer): boolean {
  return (
    event.length === DONE_EVENT.length + 2 &&
    event.subarray(0, DONE_EVENT.length).equals(DONE_EVENT) &&
    event[DONE_EVENT.length] === LF &&
    event[DONE_EVENT.length + 1] === LF
  );
}

const FIELDS = new Set(["data", "event", "id", "retry"]);
const decoder = new TextDecoder();

/**
 * The full check: every line a comment or a known field, and the joined data (when there is any) JSON
 * that `isValid` accepts (or `[DONE]` where `allowDone`). Null when valid.
 */
export function checkSseEvent(
  event: Buffer,
  isValid: (data: unknown) => boolean,
  allowDone: boolean,
): GatewayError | null {
  let data: string | null = null;
  for (const line of decoder.decode(event).split(/\r\n|\r|\n/)) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    if (!FIELDS.has(field)) return invalidUpstreamEvent();
    if (field !== "data") continue;
    // A line that is just `data` is an empty value (WHATWG), as redact-sse-event.ts reads it.
    const value =
      colon === -1 ? "" : line.charCodeAt(colon + 1) === 0x20 ? line.slice(colon + 2) : line.slice(colon + 1);
    data = data === null ? value : `${data}\n${value}`;
  }
  if (data === null) return null; // a comment or a field-only event: nothing for the client to parse
  if (allowDone && data.trim() === "[DONE]") return null;
  const parsed = parseUpstreamJson(data);
  return parsed.ok && isValid(parsed.value) ? null : invalidUpstreamEvent();
}

/** A JSON object (not null, not an array). */
export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
