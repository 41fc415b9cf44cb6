/**
 * @module wire/anthropic/create-anthropic-usage-tap
 * A passthrough tap over an Anthropic Messages stream: the upstream's events go on unchanged while
 * `message_start` and `message_delta` usage is read, and redaction is decided from the parsed shape: an
 * event that is not a plain typed one, or holds `"error"` or a `\u` escape, is parsed and its decoded
 * strings redacted (an untyped one is error text: key-shaped tokens too); it is rewritten only when that changed something. With `normalize`, events out of
 * the grammar are repaired (create-event-normalizer.ts) and re-serialized; conforming ones leave as received.
 */
import type { FailureEvent, RelayTransform } from "../create-relay-transform.ts";
import { isErrorText } from "../is-error-payload.ts";
import { createAlterationSearch } from "../openai/create-alteration-search.ts";
import { createSseTap, mayCarryError } from "../openai/create-sse-tap.ts";
import { checkSseEvent, isObject, isOneLineJsonEvent } from "../openai/sse-event-check.ts";
import { sseEventData } from "../openai/sse-event-end.ts";
import { parseUpstreamJson } from "../parse-upstream-json.ts";
import { redactJsonStrings } from "../redact-json-strings.ts";
import { redactSseEvent } from "../redact-sse-event.ts";
import { type AnthropicUsageCounts, readAnthropicUsage } from "./anthropic-usage.ts";
import { createEventNormalizer, type EventNormalizerOptions } from "./create-event-normalizer.ts";
import { encodeSseEvent } from "./encode-sse-event.ts";

const USAGE = Buffer.from('"usage"');
const decoder = new TextDecoder();

export interface AnthropicUsageTapOptions {
  /** `final` is false for `message_start`'s counts (its `output_tokens` is a placeholder), true from `message_delta`. */
  readonly onUsage: (usage: AnthropicUsageCounts, final: boolean) => void;
  /** Removes the keys in play from an event's text (content: ids and words that look like keys stay). */
  readonly redact?: (text: string) => string;
  /**
   * Removes keys and key-shaped tokens from an error event's text (an upstream error may quote a key it was
   * sent, in a form the gateway does not know): wire/redact-sse-event.ts decides; `redact` when absent.
   */
  readonly redactError?: (text: string) => string;
  /** Whether bytes quote a key in play verbatim (a cheap search): such an event is parsed and redacted. */
  readonly quotesKey?: (bytes: Uint8Array) => boolean;
  /** How a failure ends the stream (`event: error`). */
  readonly failureEvent: FailureEvent;
  /** The most bytes one event may hold; 1 MiB by default. */
  readonly maxEventBytes?: number;
  /** Repairs a stream out of the event grammar (docs/api.md); relayed as received when absent. */
  readonly normalize?: EventNormalizerOptions;
}

/** Every Anthropic event's JSON names its `type` first. */
const TYPED = [Buffer.from('{"type":"'), Buffer.from('{"type": "')];
const isTypedEvent = (data: unknown): boolean =>
  isObject(data) && (data.type === undefined || typeof data.type === "string");

const checkEvent = (event: Buffer) => checkSseEvent(event, isTypedEvent, false);
/** Content: a typed event object (anything else is error text). */
const isTypedContent = (data: unknown): boolean => isObject(data) && typeof data.type === "string";

export function createAnthropicUsageTap(options: AnthropicUsageTapOptions): RelayTransform {
  const { redact } = options;
  const quotesKey = options.quotesKey ?? (() => false);
  /** Bytes whose events may need redaction: error text, a JSON escape, a key in play. */
  const mayQuote = (bytes: Buffer) => mayCarryError(bytes) || quotesKey(bytes);
  let counts: AnthropicUsageCounts | undefined;
  const looksConforming = (event: Buffer, oneLine?: boolean) => isOneLineJsonEvent(event, TYPED, oneLine);
  const alterations = createAlterationSearch({ redacts: redact !== undefined, quotesKey });
  const normalizer = options.normalize === undefined ? null : createEventNormalizer(options.normalize);

  /** Reads the usage an event carries. */
  const readUsage = (fields: { type?: unknown; message?: { usage?: unknown }; usage?: unknown }): void => {
    const usage = fields.type === "message_start" ? fields.message?.usage : fields.usage;
    const read = readAnthropicUsage(usage, counts);
    if (read !== null) {
      counts = read;
      options.onUsage(read, fields.type !== "message_start");
    }
  };

  /** The repaired events (redacted, usage read), or null when the event conforms as received. */
  const repair = (event: Buffer): string | null => {
    if (normalizer === null || normalizer.passes(event)) return null;
    const data = sseEventData(decoder.decode(event));
    if (data === null) return null;
    const parsed = parseUpstreamJson(data);
    if (!parsed.ok || !isObject(parsed.value)) return null;
    const errorText = isErrorText(parsed.value, isTypedContent); // decided before the repair
    const events = normalizer.normalize(parsed.value);
    if (events === null) return null;
    let out = "";
    for (const { name, data: fields, only } of events) {
      if (only !== "wire") readUsage(fields);
      if (only === "usage") continue;
      const redactError = options.redactError ?? redact;
      const redactor = errorText || isErrorText(fields, isTypedContent) ? redactError : redact;
      const clean = redactor === undefined ? fields : redactJsonStrings(fields, redactor, redactError).value;
      out += encodeSseEvent(JSON.stringify(clean), name);
    }
    return out === "" ? "drop" : out;
  };

  return createSseTap(
    (event, cleared) => {
      const repaired = cleared ? null : repair(event);
      if (repaired !== null) return repaired;
      const redacted =
        redact !== undefined && !cleared && (mayQuote(event) || !looksConforming(event))
          ? redactSseEvent(event, redact, options.redactError ?? redact, isTypedContent)
          : null;
      const kept = redacted === null ? "keep" : redacted === "" ? "drop" : redacted;
      if (event.indexOf(USAGE) === -1) return kept;
      const data = sseEventData(decoder.decode(event));
      if (data === null) return kept;
      const parsed = parseUpstreamJson(data);
      if (!parsed.ok) return kept;
      readUsage(parsed.value as { type?: unknown; message?: { usage?: unknown }; usage?: unknown });
      return kept;
    },
    {
      alterations,
      looksConforming,
      checkEvent,
      // Only an event proven valid JSON passes unparsed: the normalizer's check parses each new shape
      // once; without a normalizer, every event is parsed (a `}` at the end proves nothing).
      passesAsIs:
        normalizer === null
          ? (event: Buffer) => checkEvent(event) === null
          : (event: Buffer) => normalizer.passes(event),
      checksUnpassed: true,
      failureEvent: options.failureEvent,
      ...(options.maxEventBytes === undefined ? {} : { maxEventBytes: options.maxEventBytes }),
    },
  );
}
