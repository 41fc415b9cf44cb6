/**
 * @module wire/anthropic/create-anthropic-usage-tap
 * A passthrough tap over an Anthropic Messages stream: the upstream's events go on unchanged while
 * `message_start` and `message_delta` usage is read, and an error event is rewritten only when it
 * quotes a key.
 */
import type { FailureEvent, RelayTransform } from "../create-relay-transform.ts";
import { createSseTap, mayCarryError } from "../openai/create-sse-tap.ts";
import { checkSseEvent, isObject, isOneLineJsonEvent } from "../openai/sse-event-check.ts";
import { sseEventData } from "../openai/sse-event-end.ts";
import { type AnthropicUsageCounts, readAnthropicUsage } from "./anthropic-usage.ts";

const USAGE = Buffer.from('"usage"');
const decoder = new TextDecoder();

export interface AnthropicUsageTapOptions {
  readonly onUsage: (usage: AnthropicUsageCounts) => void;
  /** Removes keys from an event's text (an upstream error may quote the key it was sent). */
  readonly redact?: (text: string) => string;
  /** How a failure ends the stream (`event: error`). */
  readonly failureEvent: FailureEvent;
  /** The most bytes one event may hold; 1 MiB by default. */
  readonly maxEventBytes?: number;
}

/** Every Anthropic event's JSON names its `type` first. */
const TYPED = [Buffer.from('{"type":"'), Buffer.from('{"type": "')];
const isTypedEvent = (data: unknown): boolean =>
  isObject(data) && (data.type === undefined || typeof data.type === "string");

export function createAnthropicUsageTap(options: AnthropicUsageTapOptions): RelayTransform {
  let counts: AnthropicUsageCounts | undefined;
  const mayAlter = (chunk: Buffer) => options.redact !== undefined && mayCarryError(chunk);
  return createSseTap(
    (event) => {
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
    },
    {
      mayAlter,
      looksConforming: (event) => isOneLineJsonEvent(event, TYPED),
      checkEvent: (event) => checkSseEvent(event, isTypedEvent, false),
      failureEvent: options.failureEvent,
      ...(options.maxEventBytes === undefined ? {} : { maxEventBytes: options.maxEventBytes }),
    },
  );
}
