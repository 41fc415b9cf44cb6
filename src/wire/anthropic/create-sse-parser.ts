/**
 * @module wire/anthropic/create-sse-parser
 * A minimal server-sent-events parser (the WHATWG EventSource rules): CRLF, LF or CR line ends, multi-line
 * `data`, comments, chunks split anywhere (UTF-8 sequences and CRLF pairs included). The one seam a
 * library parser (`eventsource-parser`) would replace: the translators only call `push` and `end`.
 * Bounded: the event being read (its partial line and data) never holds more than the cap; past it, or on a
 * line that is no SSE field, a `problem` event says so and the parser stops reading.
 */
import { MAX_SSE_EVENT_BYTES } from "../openai/sse-event-check.ts";

export interface SseEvent {
  /** The `event:` field, or `"message"` when the event named none. */
  readonly event: string;
  /** The `data:` lines joined with "\n". */
  readonly data: string;
  /** The last `id:` seen in the stream, or null. */
  readonly id: string | null;
  /** Set on the last event the parser gives: the stream broke the SSE grammar or the event cap. */
  readonly problem?: "malformed" | "too_large";
}

export interface SseParserOptions {
  /** The most characters one event (its data and the partial line) may hold; 1 Mi by default. */
  readonly maxEventChars?: number;
  /** Lines with a field other than data, event, id, retry end the stream as `malformed` (EventSource skips them). */
  readonly strict?: boolean;
}

export interface SseParser {
  /** Feeds the next piece of the stream; answers the events it completed. */
  push(chunk: string | Uint8Array): SseEvent[];
  /** The stream ended: a last event without its blank line is still dispatched (lenient). */
  end(): SseEvent[];
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const BOM = "\uFEFF";

const KNOWN_FIELDS = new Set(["data", "event", "id", "retry"]);

export function createSseParser(options: SseParserOptions = {}): SseParser {
  const maxEventChars = options.maxEventChars ?? MAX_SSE_EVENT_BYTES;
  const strict = options.strict ?? false;
  const decoder = new TextDecoder("utf-8");
  let problem: "malformed" | "too_large" | null = null;
  let partialLine = "";
  let skipLineFeed = false;
  let atStart = true;
  let eventName = "";
  let data = "";
  let hasData = false;
  let lastId: string | null = null;

  const dispatch = (out: SseEvent[]): void => {
    if (hasData) out.push({ event: eventName === "" ? "message" : eventName, data, id: lastId });
    eventName = "";
    data = "";
    hasData = false;
  };

  /** The stream is unreadable from here: one problem event, then nothing more is read or held. */
  const stop = (reason: "malformed" | "too_large", out: SseEvent[]): void => {
    problem = reason;
    partialLine = "";
    data = "";
    hasData = false;
    out.push({ event: "", data: "", id: lastId, problem: reason });
  };

  const processLine = (line: string, out: SseEvent[]): void => {
    if (line.length === 0) {
      dispatch(out);
      return;
    }
    if (data.length + line.length > maxEventChars) {
      stop("too_large", out);
      return;
    }
    if (line.charCodeAt(0) === COLON) return; // a comment
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    const value =
      colon === -1
        ? ""
        : line.charCodeAt(colon + 1) === SPACE
          ? line.slice(colon + 2)
          : line.slice(colon + 1);
    if (field === "data") {
      data = hasData ? `${data}\n${value}` : value;
      hasData = true;
    } else if (strict && !KNOWN_FIELDS.has(field)) {
      stop("malformed", out);
    } else if (field === "event") {
      eventName = value;
    } else if (field === "id" && !value.includes("\u0000")) {
      lastId = value;
    }
    // `retry` and unknown fields are ignored, as EventSource does.
  };

  const feed = (input: string, out: SseEvent[]): void => {
    let text = input;
    if (atStart && text.length > 0) {
      atStart = false;
      if (text.startsWith(BOM)) text = text.slice(1);
    }
    let from = 0;
    if (skipLineFeed && text.length > 0) {
      skipLineFeed = false;
      if (text.charCodeAt(0) === LF) from = 1;
    }
    let lineStart = from;
    for (let index = from; index < text.length && problem === null; index++) {
      const code = text.charCodeAt(index);
      if (code !== LF && code !== CR) continue;
      const piece = text.slice(lineStart, index);
      const line = partialLine.length > 0 ? partialLine + piece : piece;
      partialLine = "";
      processLine(line, out);
      if (code === CR) {
        if (index + 1 === text.length) skipLineFeed = true;
        else if (text.charCodeAt(index + 1) === LF) index++;
      }
      lineStart = index + 1;
    }
    if (problem !== null || lineStart >= text.length) return;
    // Checked before the bytes are held: a partial line never grows past the cap.
    if (partialLine.length + data.length + (text.length - lineStart) > maxEventChars) stop("too_large", out);
    else partialLine += text.slice(lineStart);
  };

  return {
    push(chunk) {
      const out: SseEvent[] = [];
      if (problem !== null) return out;
      feed(typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }), out);
      return out;
    },
    end() {
      const out: SseEvent[] = [];
      if (problem !== null) return out;
      feed(decoder.decode(), out);
      if (problem === null && partialLine.length > 0) {
        const line = partialLine;
        partialLine = "";
        processLine(line, out);
      }
      if (problem === null) dispatch(out);
      skipLineFeed = false;
      return out;
    },
  };
}
