/**
 * @module wire/openai/create-usage-tap
 * A transform over an OpenAI-dialect SSE stream that passes the upstream's bytes through unchanged (views
 * of the received chunks, no re-serialization) while reading the usage chunk; it drops that chunk when
 * the gateway asked for usage on the client's behalf. Only a partial event at a chunk's end is copied.
 */
import { Transform } from "node:stream";
import { countDeltaText } from "./count-delta-text.ts";
import { readOpenAiUsage, type TokenUsage } from "./openai-usage.ts";
import { sseEventData, sseEventEnd } from "./sse-event-end.ts";

export interface UsageTapOptions {
  /** Drop the usage-only chunk (`choices: []`): the client did not ask for `include_usage`. */
  readonly stripUsageChunk: boolean;
  readonly onUsage: (usage: TokenUsage) => void;
  /** Bytes of generated text per event (the basis of an estimate if the stream is cut off). */
  readonly onText?: (bytes: number) => void;
}

const USAGE = Buffer.from('"usage"');
const decoder = new TextDecoder();

/** Whether `"usage"` in this event is followed by an object (not `null`). */
function mayCarryUsage(event: Uint8Array): boolean {
  const view = Buffer.from(event.buffer, event.byteOffset, event.byteLength);
  let at = view.indexOf(USAGE);
  while (at !== -1) {
    let index = at + USAGE.length;
    while (index < view.length && (view[index] === 0x20 || view[index] === 0x3a)) index++;
    if (view[index] === 0x7b) return true; // `{`
    at = view.indexOf(USAGE, index);
  }
  return false;
}

export function createUsageTap(options: UsageTapOptions): Transform {
  let pending: Buffer | null = null;

  /** Reads an event; true when it must be dropped from the client's stream. */
  const inspect = (event: Uint8Array): boolean => {
    if (options.onText !== undefined) {
      const text = countDeltaText(event);
      if (text > 0) options.onText(text);
    }
    if (!mayCarryUsage(event)) return false;
    const data = sseEventData(decoder.decode(event));
    if (data === null) return false;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return false;
    }
    const chunk = parsed as { usage?: unknown; choices?: unknown };
    const usage = readOpenAiUsage(chunk.usage);
    if (usage === null) return false;
    options.onUsage(usage);
    return options.stripUsageChunk && Array.isArray(chunk.choices) && chunk.choices.length === 0;
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const data = pending === null ? chunk : Buffer.concat([pending, chunk]);
      pending = null;
      if (!options.stripUsageChunk) this.push(chunk); // pure passthrough: forward first, read after
      let start = 0;
      let keptFrom = 0;
      for (let end = sseEventEnd(data, 0); end !== -1; end = sseEventEnd(data, start)) {
        const drop = inspect(data.subarray(start, end));
        if (drop && options.stripUsageChunk) {
          if (start > keptFrom) this.push(data.subarray(keptFrom, start));
          keptFrom = end;
        }
        start = end;
      }
      if (options.stripUsageChunk && start > keptFrom) this.push(data.subarray(keptFrom, start));
      if (start < data.length) pending = Buffer.from(data.subarray(start));
      done();
    },
    flush(done) {
      if (pending !== null && pending.length > 0) {
        const drop = inspect(pending);
        if (options.stripUsageChunk && !drop) this.push(pending);
      }
      pending = null;
      done();
    },
  });
}
