/**
 * @module wire/openai/sse-event-end
 * SSE framing on bytes: where the event starting at an offset ends (after its blank line), so a tap can
 * pass events through as views of the received chunks instead of decoding and re-encoding them.
 */

const LF = 0x0a;
const CR = 0x0d;

/** The offset just after the blank line that ends the event starting at `from`, or -1 if incomplete. */
export function sseEventEnd(buffer: Uint8Array, from: number): number {
  let lineStart = from;
  let index = from;
  const length = buffer.length;
  while (index < length) {
    const byte = buffer[index];
    if (byte !== LF && byte !== CR) {
      index++;
      continue;
    }
    let next = index + 1;
    if (byte === CR) {
      if (next === length) return -1; // a CR at the end may be the first half of CRLF
      if (buffer[next] === LF) next++;
    }
    if (index === lineStart) return next;
    lineStart = next;
    index = next;
  }
  return -1;
}

/** The joined `data:` field of one event's text (SPEC of EventSource: one optional space after the colon). */
export function sseEventData(text: string): string | null {
  let data: string | null = null;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (!line.startsWith("data:")) continue;
    const value = line.charCodeAt(5) === 0x20 ? line.slice(6) : line.slice(5);
    data = data === null ? value : `${data}\n${value}`;
  }
  return data;
}
