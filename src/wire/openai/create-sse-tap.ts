/**
 * @module wire/openai/create-sse-tap
 * A passthrough transform over any SSE stream, aligned on events: each complete event is forwarded as a
 * view of the received bytes (a chunk of whole events as the very Buffer received), unless the inspector
 * drops it or replaces it (an error event rewritten with keys redacted). Only a partial event at a
 * chunk's end waits, and is the only thing copied.
 */
import { Transform } from "node:stream";
import { sseEventEnd } from "./sse-event-end.ts";

/** `keep` forwards the event's bytes, `drop` removes it, a string replaces it. */
export type SseEventVerdict = "keep" | "drop" | string;

const LF = 0x0a;

/**
 * `mayAlter(chunk)` says whether any event in a chunk could be dropped or rewritten (a cheap byte search);
 * when it cannot and the chunk holds whole events, the chunk is forwarded before it is inspected, so
 * reading usage never delays the first byte.
 */
export function createSseTap(
  inspect: (event: Buffer) => SseEventVerdict,
  mayAlter: (chunk: Buffer) => boolean = () => true,
): Transform {
  let pending: Buffer | null = null;

  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const length = chunk.length;
      if (
        pending === null &&
        length > 1 &&
        chunk[length - 1] === LF &&
        chunk[length - 2] === LF &&
        !mayAlter(chunk)
      ) {
        this.push(chunk); // whole events nobody will change: forward first, read after
        for (
          let start = 0, end = sseEventEnd(chunk, 0);
          end !== -1;
          start = end, end = sseEventEnd(chunk, start)
        ) {
          inspect(chunk.subarray(start, end));
        }
        done();
        return;
      }
      const data = pending === null ? chunk : Buffer.concat([pending, chunk]);
      pending = null;
      const out: Array<Buffer | string> = [];
      let start = 0;
      let keptFrom = 0;
      let changed = false;
      for (let end = sseEventEnd(data, 0); end !== -1; end = sseEventEnd(data, start)) {
        const verdict = inspect(data.subarray(start, end));
        if (verdict !== "keep") {
          changed = true;
          if (start > keptFrom) out.push(data.subarray(keptFrom, start));
          if (verdict !== "drop") out.push(verdict);
          keptFrom = end;
        }
        start = end;
      }
      if (!changed && start === data.length && data === chunk) {
        this.push(chunk); // whole events, untouched: the very Buffer received
      } else {
        if (start > keptFrom) out.push(data.subarray(keptFrom, start));
        for (const piece of out) this.push(piece);
      }
      if (start < data.length) pending = Buffer.from(data.subarray(start));
      done();
    },
    flush(done) {
      if (pending !== null && pending.length > 0) {
        const verdict = inspect(pending);
        if (verdict === "keep") this.push(pending);
        else if (verdict !== "drop") this.push(verdict);
      }
      pending = null;
      done();
    },
  });
}

const ERROR = Buffer.from('"error"');

/** An event that may carry a provider's error text: the only events a redacting tap decodes. */
export function mayCarryError(event: Buffer): boolean {
  return event.indexOf(ERROR) !== -1;
}
