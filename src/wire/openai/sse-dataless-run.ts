/**
 * @module wire/openai/sse-dataless-run
 * SSE events that carry no data (blank lines, comments, `id`/`retry`/`event` lines alone), read on bytes: a
 * run of blank lines and plain comments is taken in one byte loop (no decode, no parse, nothing allocated per
 * event), and a stream may send only so many data-less events in a row before it is refused (review R5).
 */
import { GatewayError } from "../../errors/gateway-error.ts";

/**
 * The most data-less events a stream may send in a row. Keep-alives never reach it: a call lasts at most an
 * hour (`timeouts.totalMs` caps at 3,600,000 ms), and a keep-alive comment each second for that hour (OpenRouter
 * sends `: OPENROUTER PROCESSING` every few seconds, sse-starlette `: ping` every 15 s) is 3,600 events. A flood
 * of empty events or comments is refused after it, so even read one by one it costs milliseconds.
 */
export const MAX_DATALESS_EVENTS = 10_000;
/** The most bytes of data-less events in a row: one event's cap (a 25-byte keep-alive each second for an hour is 90 KB). */
export const MAX_DATALESS_BYTES = 1024 * 1024;

export const tooManyDataless = (): GatewayError =>
  new GatewayError("upstream_error", {
    message: "The provider sent too many stream events without data in a row.",
    code: "invalid_upstream_event",
  });

/** The data-less events since the last event with data: how many, and their bytes. */
export interface DatalessRun {
  events: number;
  bytes: number;
}

export const createDatalessRun = (): DatalessRun => ({ events: 0, bytes: 0 });

/**
 * Counts an event into the run: a data event ends it; a data-less one extends it, or answers false when it
 * would pass a bound (the event is then refused, not counted).
 */
export function countEvent(run: DatalessRun, event: Buffer): boolean {
  if (carriesData(event)) {
    run.events = 0;
    run.bytes = 0;
    return true;
  }
  if (run.events >= MAX_DATALESS_EVENTS || run.bytes + event.length > MAX_DATALESS_BYTES) return false;
  run.events++;
  run.bytes += event.length;
  return true;
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const DATA = Buffer.from("data");

/** Whether a line of the event is a `data` field (`data:…`, or `data` alone): an event the client dispatches. */
export function carriesData(event: Buffer): boolean {
  if (event[0] === 0x64 && event[1] === 0x61 && event[2] === 0x74 && event[3] === 0x61 && event[4] === COLON)
    return true; // `data:` first, the usual event
  for (let at = event.indexOf(DATA); at !== -1; at = event.indexOf(DATA, at + 1)) {
    const before = at === 0 ? LF : event[at - 1];
    const after = event[at + 4];
    if (
      (before === LF || before === CR) &&
      (after === COLON || after === LF || after === CR || after === undefined)
    )
      return true;
  }
  return false;
}

/**
 * The bytes a key-shaped token is made of (redact-secrets.ts: `[-_.*A-Za-z0-9]`, and `…`/`•`, counted here as
 * any byte of a multi-byte character).
 */
const TOKEN_BYTE = new Uint8Array(256);
for (let byte = 0; byte < 256; byte++)
  TOKEN_BYTE[byte] =
    byte >= 0x80 ||
    (byte >= 0x30 && byte <= 0x39) ||
    (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x61 && byte <= 0x7a) ||
    byte === 0x2d ||
    byte === 0x5f ||
    byte === 0x2e ||
    byte === 0x2a
      ? 1
      : 0;
/**
 * The longest run of token bytes a comment taken unread may hold: the shortest key-shaped token is 9 (a
 * 2-letter vendor prefix and 7 more); a comment with a longer run is read like any event, and the redaction
 * that applies there decides. A margin: relayed content now loses only the keys in play, which `alteredAt`
 * already finds, so this only sends more comments the slow way (still within the run's bounds).
 */
const MAX_TOKEN_RUN = 8;

/**
 * From `from` (an event's start) in `chunk`: the end of the run of whole events made of blank lines and plain
 * comments only, each counted into `run`. It stops before an event it cannot take unread: a field line, a
 * comment that may hold a key-shaped token or reaches `alteredAt` (where a key in play, error text or an
 * escape may lie; -1: nowhere), an event over `maxEventBytes`, one not complete in the chunk (a CR last may
 * be half a CRLF), or one past the run's bounds. Each byte is looked at once; the tap reads what it stops at.
 */
export function skipDatalessRun(
  chunk: Buffer,
  from: number,
  alteredAt: number,
  maxEventBytes: number,
  run: DatalessRun,
): number {
  const length = chunk.length;
  let committed = from;
  let index = from;
  let comment = false;
  while (index < length) {
    const byte = chunk[index];
    if (byte === COLON) {
      const lineLimit = Math.min(length, committed + maxEventBytes);
      let tokens = 0;
      for (index++; index < lineLimit; index++) {
        const inLine = chunk[index] as number;
        if (inLine === LF || inLine === CR) break;
        tokens = TOKEN_BYTE[inLine] === 1 ? tokens + 1 : 0;
        if (tokens > MAX_TOKEN_RUN) return committed;
      }
      if (index >= lineLimit) return committed;
      if (chunk[index] === CR) {
        if (index + 1 === length) return committed;
        index += chunk[index + 1] === LF ? 2 : 1;
      } else index++;
      comment = true;
      continue;
    }
    if (byte !== LF && byte !== CR) return committed; // a field line
    let end = index + 1;
    if (byte === CR) {
      if (end === length) return committed;
      if (chunk[end] === LF) end++;
    }
    const size = end - committed;
    if (comment && alteredAt !== -1 && alteredAt < end) return committed;
    if (size > maxEventBytes) return committed;
    if (run.events >= MAX_DATALESS_EVENTS || run.bytes + size > MAX_DATALESS_BYTES) return committed;
    run.events++;
    run.bytes += size;
    committed = end;
    index = end;
    comment = false;
  }
  return committed;
}
