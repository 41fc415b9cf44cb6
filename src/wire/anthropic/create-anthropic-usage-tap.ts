/**
 * @module wire/anthropic/create-anthropic-usage-tap
 * A passthrough transform over an Anthropic Messages stream: the upstream's bytes go on unchanged while
 * `message_start` and `message_delta` usage is read (only those events are decoded).
 */
import { Transform } from "node:stream";
import { sseEventData, sseEventEnd } from "../openai/sse-event-end.ts";
import { type AnthropicUsageCounts, readAnthropicUsage } from "./anthropic-usage.ts";

const USAGE = Buffer.from('"usage"');
const decoder = new TextDecoder();

export function createAnthropicUsageTap(onUsage: (usage: AnthropicUsageCounts) => void): Transform {
  let pending: Buffer | null = null;
  let counts: AnthropicUsageCounts | undefined;

  const inspect = (event: Buffer) => {
    if (event.indexOf(USAGE) === -1) return;
    const data = sseEventData(decoder.decode(event));
    if (data === null) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return;
    }
    const fields = parsed as { type?: unknown; message?: { usage?: unknown }; usage?: unknown };
    const usage = fields.type === "message_start" ? fields.message?.usage : fields.usage;
    const read = readAnthropicUsage(usage, counts);
    if (read === null) return;
    counts = read;
    onUsage(read);
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      this.push(chunk); // forward first: the tap never delays or changes a byte
      const data = pending === null ? chunk : Buffer.concat([pending, chunk]);
      pending = null;
      let start = 0;
      for (let end = sseEventEnd(data, 0); end !== -1; end = sseEventEnd(data, start)) {
        inspect(data.subarray(start, end));
        start = end;
      }
      if (start < data.length) pending = Buffer.from(data.subarray(start));
      done();
    },
    flush(done) {
      if (pending !== null) inspect(pending);
      pending = null;
      done();
    },
  });
}
