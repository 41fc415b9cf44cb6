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

export function createSseTap(inspect: (event: Buffer) => SseEventVerdict): Transform {
  let pending: Buffer | null = null;

  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
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
