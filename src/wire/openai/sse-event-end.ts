/**
 * @module wire/openai/sse-event-end
 * SSE framing on bytes: where the event starting at an offset ends (after its blank line), so a tap can
 * pass events through as views of the received chunks instead of decoding and re-encoding them. The scan
 * resumes across chunks (its line state is kept), so a partial event is never rescanned: linear.
 */

const LF = 0x0a;
const CR = 0x0d;

/** Where an unfinished scan stopped: carried to the next chunk of the same event. */
export interface SseScanState {
  /** The line being read has at least one byte (so a line break ends a line, not the event). */
  inLine: boolean;
  /** The previous chunk ended with a CR: a LF first in the next one belongs to that line break. */
  afterCr: boolean;
  /** That CR ended a blank line: the event is complete, with the next LF if there is one. */
  blankCr: boolean;
}

export const createSseScanState = (): SseScanState => ({ inLine: false, afterCr: false, blankCr: false });

/**
 * Resumes the scan of an event in `buffer` from `from` with `state` (a new event: a fresh state). Answers
 * the offset just after its blank line (the state is then fresh again), or -1 with `state` saying where
 * the scan stopped; each byte is looked at once.
 */
export function scanSseEvent(buffer: Uint8Array, from: number, state: SseScanState): number {
  const length = buffer.length;
  let index = from;
  if (state.afterCr) {
    if (index === length) return -1;
    if (buffer[index] === LF) index++;
    state.afterCr = false;
    if (state.blankCr) {
      state.blankCr = false;
      return index;
    }
  }
  while (index < length) {
    const byte = buffer[index];
    if (byte !== LF && byte !== CR) {
      state.inLine = true;
      index++;
      continue;
    }
    const blank = !state.inLine;
    state.inLine = false;
    index++;
    if (byte === CR) {
      if (index === length) {
        state.afterCr = true; // a CR at the end may be the first half of CRLF
        state.blankCr = blank;
        return -1;
      }
      if (buffer[index] === LF) index++;
    }
    if (blank) return index;
  }
  return -1;
}

/** The offset just after the blank line that ends the event starting at `from`, or -1 if incomplete. */
export function sseEventEnd(buffer: Uint8Array, from: number): number {
  return scanSseEvent(buffer, from, createSseScanState());
}

/** The joined `data:` field of one event's text (SPEC of EventSource: one optional space after the colon). */
export function sseEventData(text: string): string | null {
  let data: string | null = null;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (!line.startsWith("data")) continue;
    // `data` alone is an empty value (WHATWG); `database: …` is another field.
    if (line.length > 4 && line.charCodeAt(4) !== 0x3a) continue;
    const value = line.length === 4 ? "" : line.charCodeAt(5) === 0x20 ? line.slice(6) : line.slice(5);
    data = data === null ? value : `${data}\n${value}`;
  }
  return data;
}
