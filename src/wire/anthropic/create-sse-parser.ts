/**
 * @module wire/anthropic/create-sse-parser
 * A minimal server-sent-events parser (the WHATWG EventSource rules): CRLF, LF or CR line ends, multi-line
 * `data`, comments, chunks split anywhere (UTF-8 sequences and CRLF pairs included). The one seam a
 * library parser (`eventsource-parser`) would replace: the translators only call `push` and `end`.
 */

export interface SseEvent {
  /** The `event:` field, or `"message"` when the event named none. */
  readonly event: string;
  /** The `data:` lines joined with "\n". */
  readonly data: string;
  /** The last `id:` seen in the stream, or null. */
  readonly id: string | null;
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

export function createSseParser(): SseParser {
  const decoder = new TextDecoder("utf-8");
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

  const processLine = (line: string, out: SseEvent[]): void => {
    if (line.length === 0) {
      dispatch(out);
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
    for (let index = from; index < text.length; index++) {
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
    if (lineStart < text.length) partialLine += text.slice(lineStart);
  };

  return {
    push(chunk) {
      const out: SseEvent[] = [];
      feed(typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }), out);
      return out;
    },
    end() {
      const out: SseEvent[] = [];
      feed(decoder.decode(), out);
      if (partialLine.length > 0) {
        const line = partialLine;
        partialLine = "";
        processLine(line, out);
      }
      dispatch(out);
      skipLineFeed = false;
      return out;
    },
  };
}
