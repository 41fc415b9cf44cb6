/**
 * @module wire/openai/create-usage-tap
 * The usage tap over an OpenAI-dialect SSE stream: the upstream's events pass through unchanged while
 * the usage chunk is read (and dropped when the gateway asked for usage on the client's behalf), text is
 * counted for estimates, and redaction is decided from the parsed shape: an event that is not a plain
 * conforming chunk, or holds `"error"` or a `\u` escape, is parsed and its decoded strings redacted (one
 * without a `choices` array is error text: key-shaped tokens too); it is rewritten only when that changed something. With `normalize`, a non-conforming chunk is repaired
 * (create-chunk-normalizer.ts) and re-serialized; a conforming one still leaves as received.
 */
import type { FailureEvent, RelayTransform } from "../create-relay-transform.ts";
import { isErrorText } from "../is-error-payload.ts";
import { parseUpstreamJson } from "../parse-upstream-json.ts";
import { redactJsonStrings } from "../redact-json-strings.ts";
import { redactSseEvent } from "../redact-sse-event.ts";
import { countDeltaText } from "./count-delta-text.ts";
import { createAlterationSearch } from "./create-alteration-search.ts";
import { type ChunkNormalizerOptions, createChunkNormalizer } from "./create-chunk-normalizer.ts";
import { createSseTap, mayCarryError, type SseEventVerdict } from "./create-sse-tap.ts";
import { readOpenAiUsage, type TokenUsage } from "./openai-usage.ts";
import { checkSseEvent, isDoneEvent, isObject, isOneLineJsonEvent } from "./sse-event-check.ts";
import { sseEventData } from "./sse-event-end.ts";

export interface UsageTapOptions {
  /** Drop the usage-only chunk (`choices: []`): the client did not ask for `include_usage`. */
  readonly stripUsageChunk: boolean;
  readonly onUsage: (usage: TokenUsage) => void;
  /** Bytes of generated text per event (the basis of an estimate if the stream is cut off). */
  readonly onText?: (bytes: number) => void;
  /** Removes the keys in play from an event's text (content: ids and words that look like keys stay). */
  readonly redact?: (text: string) => string;
  /**
   * Removes keys and key-shaped tokens from an error event's text (an upstream error may quote a key it was
   * sent, in a form the gateway does not know): wire/redact-sse-event.ts decides; `redact` when absent.
   */
  readonly redactError?: (text: string) => string;
  /**
   * Whether bytes quote a key in play, verbatim or masked as providers echo it (a cheap search): such an
   * event is parsed and every string of it redacted, in any field.
   */
  readonly quotesKey?: (bytes: Uint8Array) => boolean;
  /** How a failure ends the stream (`data: {"error": …}`). */
  readonly failureEvent: FailureEvent;
  /** The most bytes one event may hold; 1 MiB by default. */
  readonly maxEventBytes?: number;
  /** Repairs a non-conforming stream (docs/api.md); relayed as received when absent. */
  readonly normalize?: ChunkNormalizerOptions;
}

/** What only a chunk with a `choices` array holds (a key cannot be followed by `:[` inside a string). */
const CHOICES = [Buffer.from('"choices":['), Buffer.from('"choices": [')];

/** A chunk object whose `choices` (when present) is an array, or an error event. */
const isChunk = (data: unknown): boolean =>
  isObject(data) && (data.choices === undefined || data.choices === null || Array.isArray(data.choices));

/** Content: a chunk with a `choices` array (anything else, a host's `{"detail": …}` say, is error text). */
const isChatContent = (data: unknown): boolean => isObject(data) && Array.isArray(data.choices);

const USAGE = Buffer.from('"usage"');
const NAMED_ERROR = /^event: ?error\r?$/m;
const decoder = new TextDecoder();

/** Whether the `"usage"` at `at` is followed by an object (not `null`). */
function opensUsage(bytes: Buffer, at: number): boolean {
  let index = at + USAGE.length;
  while (index < bytes.length && (bytes[index] === 0x20 || bytes[index] === 0x3a)) index++;
  return bytes[index] === 0x7b; // `{`
}

/** `"usage"` without its opening quote: a search for a needle that opens with `u` does not stop at every quote. */
const USAGE_TAIL = USAGE.subarray(1);

/** Whether `"usage"` in this event is followed by an object (not `null`). */
function mayCarryUsage(event: Buffer): boolean {
  for (let at = event.indexOf(USAGE_TAIL, 1); at !== -1; at = event.indexOf(USAGE_TAIL, at + 1))
    if (event[at - 1] === 0x22 && opensUsage(event, at - 1)) return true;
  return false;
}

type Parsed = { usage?: unknown; choices?: unknown };
/** A repair's verdict, or null (as received) with the chunk parsed on the way, if it was. */
type Repair = { readonly verdict: SseEventVerdict | null; readonly parsed: Parsed | undefined };
const AS_RECEIVED: Repair = { verdict: null, parsed: undefined };

const checkEvent = (event: Buffer) => checkSseEvent(event, isChunk, true);

export function createUsageTap(options: UsageTapOptions): RelayTransform {
  const { redact } = options;
  const quotesKey = options.quotesKey ?? (() => false);
  /** Bytes whose events may need redaction: error text, a JSON escape, a key in play. */
  const mayQuote = (bytes: Buffer) => mayCarryError(bytes) || quotesKey(bytes);
  const looksConforming = (event: Buffer, oneLine?: boolean) =>
    isOneLineJsonEvent(event, CHOICES, oneLine) || isDoneEvent(event);
  // Error text, escapes and keys may need redaction; a usage object the client did not ask for, a drop.
  const alterations = createAlterationSearch({
    redacts: redact !== undefined,
    quotesKey,
    needles: options.stripUsageChunk ? [{ bytes: USAGE, confirm: opensUsage }] : [],
  });
  const normalizer = options.normalize === undefined ? null : createChunkNormalizer(options.normalize);

  /**
   * The repaired event (redacted, its usage read) or "drop"; else, when it conforms as received, the chunk
   * parsed on the way (if it was).
   */
  const repair = (event: Buffer): Repair => {
    if (normalizer === null || normalizer.passes(event)) return AS_RECEIVED;
    const text = decoder.decode(event);
    // A host's named error event (its bare error object included) stays an error: never made a chunk.
    if (NAMED_ERROR.test(text)) return AS_RECEIVED;
    const data = sseEventData(text);
    if (data === null) return AS_RECEIVED;
    const parsed = parseUpstreamJson(data);
    if (!parsed.ok || !isObject(parsed.value)) return AS_RECEIVED;
    // Metered as the upstream reported it (a fraction floored, a huge count the cap): the repair below sets a
    // count that is no whole number to 0 for the client, which must not make the call free.
    const usage = readOpenAiUsage(parsed.value.usage);
    const errorText = isErrorText(parsed.value, isChatContent); // decided before the repair adds `choices`
    if (!normalizer.normalize(parsed.value)) return { verdict: null, parsed: parsed.value };
    const chunk = parsed.value;
    if (usage !== null) {
      options.onUsage(usage);
      // A repaired chunk always has a `choices` array.
      if (options.stripUsageChunk && (chunk.choices as unknown[]).length === 0)
        return { verdict: "drop", parsed: undefined };
    }
    const redactError = options.redactError ?? redact;
    const redactor = errorText ? redactError : redact;
    const clean = redactor === undefined ? chunk : redactJsonStrings(chunk, redactor, redactError).value;
    return { verdict: `data: ${JSON.stringify(clean)}\n\n`, parsed: undefined };
  };

  /** Reads the usage of an event (its chunk when already parsed): the verdict `kept`, or "drop" when stripped. */
  const readUsage = (event: Buffer, parsed: Parsed | undefined, kept: SseEventVerdict): SseEventVerdict => {
    let chunk = parsed;
    if (chunk === undefined) {
      if (!mayCarryUsage(event)) return kept;
      const data = sseEventData(decoder.decode(event));
      if (data === null) return kept;
      const read = parseUpstreamJson(data);
      if (!read.ok) return kept;
      chunk = read.value as Parsed;
    }
    const usage = readOpenAiUsage(chunk.usage);
    if (usage === null) return kept;
    options.onUsage(usage);
    const usageOnly = Array.isArray(chunk.choices) && chunk.choices.length === 0;
    return options.stripUsageChunk && usageOnly ? "drop" : kept;
  };

  return createSseTap(
    (event, cleared) => {
      if (options.onText !== undefined) {
        const text = countDeltaText(event);
        if (text > 0) options.onText(text);
      }
      if (cleared) return readUsage(event, undefined, "keep");
      const repaired = repair(event);
      if (repaired.verdict !== null) return repaired.verdict;
      const redacted =
        redact !== undefined && (mayQuote(event) || !looksConforming(event))
          ? redactSseEvent(event, redact, options.redactError ?? redact, isChatContent)
          : null;
      return readUsage(
        event,
        repaired.parsed,
        redacted === null ? "keep" : redacted === "" ? "drop" : redacted,
      );
    },
    {
      alterations,
      looksConforming,
      checkEvent,
      // Only an event proven valid JSON passes unparsed: the normalizer's check parses each new shape
      // once; without a normalizer, every event is parsed (a `}` at the end proves nothing).
      passesAsIs:
        normalizer === null
          ? (event: Buffer) => isDoneEvent(event) || checkEvent(event) === null
          : (event: Buffer) => normalizer.passes(event) || isDoneEvent(event),
      checksUnpassed: true,
      failureEvent: options.failureEvent,
      ...(options.maxEventBytes === undefined ? {} : { maxEventBytes: options.maxEventBytes }),
    },
  );
}
