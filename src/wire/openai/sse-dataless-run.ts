/**
 * @module wire/openai/sse-dataless-run
 * SSE events that carry no data (blank lines, comments, `id`/`retry`/`event` lines alone), read on bytes: a
 * run of them is taken in one byte loop (no decode, no parse, nothing allocated per event) unless one may be
 * altered; data-less events in a row are bounded, and those read the slow way by bytes against data (R5).
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
/**
 * The bytes of data-less events a stream may have read the slow way (decoded, checked, inspected: 20-30 times
 * the cost of a data event's byte) beyond the data bytes it relayed. Only a data-less event that may be altered
 * (it holds a key in play, error text or an escape), quotes (`"`), an `event: error` line or an unknown field
 * goes that way: a real stream sends about none. 128 KiB is more than an hour of keep-alives (90 KB) even if
 * every one went that way, and costs tens of milliseconds at worst; past it, each slow data-less byte must be
 * matched by a byte of data relayed (SLOW_DATALESS_PER_DATA_BYTE), so a flood that resets the run with a tiny
 * data event now and then is refused after a bounded amount of slow work, whatever its rhythm.
 */
export const SLOW_DATALESS_ALLOWANCE = 128 * 1024;
/** How many bytes of slow data-less events each byte of data relayed allows (see SLOW_DATALESS_ALLOWANCE). */
export const SLOW_DATALESS_PER_DATA_BYTE = 1;

export const tooManyDataless = (): GatewayError =>
  new GatewayError("upstream_error", {
    message: "The provider sent too many stream events without data in a row.",
    code: "invalid_upstream_event",
  });

/**
 * The data-less events since the last event with data (how many, and their bytes), and over the whole stream
 * the bytes of data events relayed and of data-less events read the slow way.
 */
export interface DatalessRun {
  events: number;
  bytes: number;
  dataBytes: number;
  slowBytes: number;
}

export const createDatalessRun = (): DatalessRun => ({ events: 0, bytes: 0, dataBytes: 0, slowBytes: 0 });

/** Counts a data event relayed: it ends the run. */
export function countDataEvent(run: DatalessRun, bytes: number): void {
  run.events = 0;
  run.bytes = 0;
  run.dataBytes += bytes;
}

/**
 * Counts an event read the slow way: a data event ends the run; a data-less one extends it, or answers false
 * when it would pass a bound, the run's or the slow bytes' (the event is then refused, not counted).
 */
export function countEvent(run: DatalessRun, event: Buffer): boolean {
  if (carriesData(event)) {
    countDataEvent(run, event.length);
    return true;
  }
  const slowBytes = run.slowBytes + event.length;
  if (
    run.events >= MAX_DATALESS_EVENTS ||
    run.bytes + event.length > MAX_DATALESS_BYTES ||
    slowBytes > SLOW_DATALESS_ALLOWANCE + SLOW_DATALESS_PER_DATA_BYTE * run.dataBytes
  )
    return false;
  run.events++;
  run.bytes += event.length;
  run.slowBytes = slowBytes;
  return true;
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const QUOTE = 0x22;
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

/** The field names an event may hold without data (sse-event-check.ts refuses others). */
const ID = Buffer.from("id");
const EVENT = Buffer.from("event");
const RETRY = Buffer.from("retry");
const ERROR = Buffer.from("error");

/** Whether `chunk[from, to)` is `name`. */
const isName = (chunk: Buffer, from: number, to: number, name: Buffer): boolean =>
  to - from === name.length && chunk.compare(name, 0, name.length, from, to) === 0;

/**
 * From `from` (an event's start) in `chunk`: the end of the run of whole data-less events (blank lines,
 * comments, `id`/`event`/`retry` lines), each counted into `run`, that the tap would relay unchanged with no
 * other effect. It stops before an event it cannot take unread: one that reaches `alteredAt` (where a key in
 * play, error text or an escape may lie; -1: nowhere: content loses only keys in play, which that search
 * finds), a `data` or unknown field, a field line with a quote (what the inspectors read, usage, text,
 * sequence numbers, is quoted JSON), an `event: error` line (its other lines are then redacted as error text),
 * an event over `maxEventBytes`, one not complete in the chunk (a CR last may be half a CRLF, unless `whole`:
 * the chunk is one event, joined from pieces, whose end the scan already found), or one past the run's
 * bounds. Each byte is looked at once; the tap reads what it stops at.
 */
export function skipDatalessRun(
  chunk: Buffer,
  from: number,
  alteredAt: number,
  maxEventBytes: number,
  run: DatalessRun,
  whole = false,
): number {
  const length = chunk.length;
  let committed = from;
  let index = from;
  let lines = false;
  while (index < length) {
    const byte = chunk[index];
    if (byte !== LF && byte !== CR) {
      // A line: a comment, or a field allowed without data.
      const lineLimit = Math.min(length, committed + maxEventBytes);
      const lineStart = index;
      let colon = -1;
      let quoted = false;
      for (; index < lineLimit; index++) {
        const inLine = chunk[index] as number;
        if (inLine === LF || inLine === CR) break;
        if (inLine === COLON && colon === -1) colon = index;
        else if (inLine === QUOTE) quoted = true;
      }
      if (index >= lineLimit) return committed;
      if (colon !== lineStart) {
        const nameEnd = colon === -1 ? index : colon;
        const isEvent = isName(chunk, lineStart, nameEnd, EVENT);
        if (
          quoted ||
          !(isEvent || isName(chunk, lineStart, nameEnd, ID) || isName(chunk, lineStart, nameEnd, RETRY))
        )
          return committed;
        if (isEvent && colon !== -1) {
          const value = chunk[colon + 1] === SPACE ? colon + 2 : colon + 1;
          if (isName(chunk, value, index, ERROR)) return committed;
        }
      }
      if (chunk[index] === CR) {
        if (index + 1 === length && !whole) return committed;
        index += chunk[index + 1] === LF ? 2 : 1;
      } else index++;
      lines = true;
      continue;
    }
    let end = index + 1;
    if (byte === CR) {
      if (end === length && !whole) return committed;
      if (chunk[end] === LF) end++;
    }
    const size = end - committed;
    if (lines && alteredAt !== -1 && alteredAt < end) return committed;
    if (size > maxEventBytes) return committed;
    if (run.events >= MAX_DATALESS_EVENTS || run.bytes + size > MAX_DATALESS_BYTES) return committed;
    run.events++;
    run.bytes += size;
    committed = end;
    index = end;
    lines = false;
  }
  return committed;
}

/**
 * Takes one whole data-less event joined from pieces (cut by chunk boundaries) on bytes, as a run's event,
 * counted into the run and not into the slow bytes: true when taken (the tap relays it unread), false when it
 * must be read (the same tests as skipDatalessRun; `alteredAt` is where the search over the joined event stopped).
 */
export const skipDatalessEvent = (
  event: Buffer,
  alteredAt: number,
  maxEventBytes: number,
  run: DatalessRun,
): boolean =>
  event.length > 0 && skipDatalessRun(event, 0, alteredAt, maxEventBytes, run, true) === event.length;
