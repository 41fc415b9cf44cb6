/**
 * @module wire/anthropic/create-anthropic-usage-tap
 * A passthrough tap over an Anthropic Messages stream: the upstream's events go on unchanged while
 * `message_start` and `message_delta` usage is read, and redaction is decided from the parsed shape: an
 * event that is not a plain typed one, or holds `"error"` or a `\u` escape, is parsed and its decoded
 * strings redacted; it is rewritten only when that changed something.
 */
import type { FailureEvent, RelayTransform } from "../create-relay-transform.ts";
import { createSseTap, mayCarryError } from "../openai/create-sse-tap.ts";
import { checkSseEvent, isObject, isOneLineJsonEvent } from "../openai/sse-event-check.ts";
import { sseEventData } from "../openai/sse-event-end.ts";
import { parseUpstreamJson } from "../parse-upstream-json.ts";
import { redactSseEvent } from "../redact-sse-event.ts";
import { type AnthropicUsageCounts, readAnthropicUsage } from "./anthropic-usage.ts";

const USAGE = Buffer.from('"usage"');
const decoder = new TextDecoder();

export interface AnthropicUsageTapOptions {
  readonly onUsage: (usage: AnthropicUsageCounts) => void;
  /** Removes keys from an event's text (an upstream error may quote the key it was sent). */
  readonly redact?: (text: string) => string;
  /** Whether bytes quote a key in play verbatim (a cheap search): such an event is parsed and redacted. */
  readonly quotesKey?: (bytes: Uint8Array) => boolean;
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
  const { redact } = options;
  const quotesKey = options.quotesKey ?? (() => false);
  /** Bytes whose events may need redaction: error text, a JSON escape, a key in play. */
  const mayQuote = (bytes: Buffer) => mayCarryError(bytes) || quotesKey(bytes);
  let counts: AnthropicUsageCounts | undefined;
  const looksConforming = (event: Buffer) => isOneLineJsonEvent(event, TYPED);
  const mayAlter = (chunk: Buffer) => redact !== undefined && mayQuote(chunk);
  return createSseTap(
    (event, cleared) => {
      const redacted =
        redact !== undefined && !cleared && (mayQuote(event) || !looksConforming(event))
          ? redactSseEvent(event, redact)
          : null;
      const kept = redacted === null ? "keep" : redacted === "" ? "drop" : redacted;
      if (event.indexOf(USAGE) === -1) return kept;
      const data = sseEventData(decoder.decode(event));
      if (data === null) return kept;
      const parsed = parseUpstreamJson(data);
      if (!parsed.ok) return kept;
      const fields = parsed.value as { type?: unknown; message?: { usage?: unknown }; usage?: unknown };
      const usage = fields.type === "message_start" ? fields.message?.usage : fields.usage;
      const read = readAnthropicUsage(usage, counts);
      if (read !== null) {
        counts = read;
        options.onUsage(read);
      }
      return kept;
    },
    {
      mayAlter,
      looksConforming,
      checkEvent: (event) => checkSseEvent(event, isTypedEvent, false),
      failureEvent: options.failureEvent,
      ...(options.maxEventBytes === undefined ? {} : { maxEventBytes: options.maxEventBytes }),
    },
  );
}
