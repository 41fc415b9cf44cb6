/**
 * @module wire/anthropic/create-anthropic-usage-tap
 * A passthrough tap over an Anthropic Messages stream: the upstream's events go on unchanged while
 * `message_start` and `message_delta` usage is read, and an error event is rewritten only when it
 * quotes a key.
 */
import type { Transform } from "node:stream";
import { createSseTap, mayCarryError } from "../openai/create-sse-tap.ts";
import { sseEventData } from "../openai/sse-event-end.ts";
import { type AnthropicUsageCounts, readAnthropicUsage } from "./anthropic-usage.ts";

const USAGE = Buffer.from('"usage"');
const decoder = new TextDecoder();

export interface AnthropicUsageTapOptions {
  readonly onUsage: (usage: AnthropicUsageCounts) => void;
  /** Removes keys from an event's text (an upstream error may quote the key it was sent). */
  readonly redact?: (text: string) => string;
}

export function createAnthropicUsageTap(options: AnthropicUsageTapOptions): Transform {
  let counts: AnthropicUsageCounts | undefined;
  const mayAlter = (chunk: Buffer) => options.redact !== undefined && mayCarryError(chunk);
  return createSseTap((event) => {
    if (options.redact !== undefined && mayCarryError(event)) {
      const text = decoder.decode(event);
      const redacted = options.redact(text);
      if (redacted !== text) return redacted;
    }
    if (event.indexOf(USAGE) === -1) return "keep";
    const data = sseEventData(decoder.decode(event));
    if (data === null) return "keep";
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return "keep";
    }
    const fields = parsed as { type?: unknown; message?: { usage?: unknown }; usage?: unknown };
    const usage = fields.type === "message_start" ? fields.message?.usage : fields.usage;
    const read = readAnthropicUsage(usage, counts);
    if (read !== null) {
      counts = read;
      options.onUsage(read);
    }
    return "keep";
  }, mayAlter);
}
