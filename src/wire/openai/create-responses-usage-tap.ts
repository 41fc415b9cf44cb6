/**
 * @module wire/openai/create-responses-usage-tap
 * The usage tap over a Responses API SSE stream (passed through from an upstream that speaks it): events
 * are relayed as received while the usage of the terminal event (`response.completed`, `…incomplete`,
 * `…failed`) is read, delta text is counted for estimates, and an event that may quote a key (`"error"`, a
 * `\u` escape, a key in play) or does not look like a one-line typed event is parsed and its strings redacted
 * (an untyped one is error text: key-shaped tokens too). With `normalize`, a lifecycle event whose `response`
 * is not the spec's Response is repaired (create-response-event-normalizer.ts), redacted and re-serialized, or
 * ends the stream when it cannot be; a conforming one still leaves as received.
 * An event is relayed unparsed only when it matches the byte template of one that parsed (one parse per shape).
 * The Response a lifecycle event (`response.created`, `…in_progress`) announced is kept, as relayed, for
 * the `response.failed` that ends a stream the gateway fails.
 */
import type { GatewayError } from "../../errors/gateway-error.ts";
import type { RelayTransform } from "../create-relay-transform.ts";
import { isErrorText } from "../is-error-payload.ts";
import { parseUpstreamJson } from "../parse-upstream-json.ts";
import { redactJsonStrings } from "../redact-json-strings.ts";
import { redactSseEvent } from "../redact-sse-event.ts";
import { countResponsesDeltaText } from "./count-responses-delta-text.ts";
import { createAlterationSearch } from "./create-alteration-search.ts";
import {
  createResponseEventNormalizer,
  type LifecycleEvent,
  type ResponseEventNormalizerOptions,
} from "./create-response-event-normalizer.ts";
import { createSseTap, mayCarryError } from "./create-sse-tap.ts";
import { type EventTemplate, learnEventTemplate } from "./event-template.ts";
import type { TokenUsage } from "./openai-usage.ts";
import { readResponsesUsage } from "./read-responses-usage.ts";
import {
  checkSseEvent,
  invalidUpstreamEvent,
  isDoneEvent,
  isObject,
  isOneLineJsonEvent,
} from "./sse-event-check.ts";
import { sseEventData } from "./sse-event-end.ts";

export interface ResponsesUsageTapOptions {
  /** The usage of the terminal event (once per conforming stream). */
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
  /** Whether bytes quote a key in play verbatim (a cheap search): such an event is parsed and redacted. */
  readonly quotesKey?: (bytes: Uint8Array) => boolean;
  /**
   * How a failure ends the stream, given the sequence number the error event takes (last seen + 1) and the
   * Response the stream announced (null before `response.created`).
   */
  readonly failureEvent: (
    failure: GatewayError,
    sequenceNumber: number,
    response: Readonly<Record<string, unknown>> | null,
  ) => string;
  /** The most bytes one event may hold; 1 MiB by default. */
  readonly maxEventBytes?: number;
  /**
   * Repairs the `response` of lifecycle events to the spec's `Response` (docs/api.md), ending the stream with
   * `invalid_upstream_event` when it cannot be; relayed as received when absent.
   */
  readonly normalize?: ResponseEventNormalizerOptions;
}

/** What only a typed event object holds (a key cannot be followed by `:"` inside a JSON string). */
const TYPED = [Buffer.from('"type":"'), Buffer.from('"type": "')];
const TERMINAL_TYPES = new Set(["response.completed", "response.incomplete", "response.failed"]);
const TERMINAL = [...TERMINAL_TYPES].map((type) => Buffer.from(`"${type}"`));
const LIFECYCLE_TYPES = new Set(["response.created", "response.in_progress"]);
const LIFECYCLE = [...LIFECYCLE_TYPES].map((type) => Buffer.from(`"${type}"`));
const SEQUENCE = Buffer.from('"sequence_number":');
const decoder = new TextDecoder();
/** The values that differ between events of one shape: delta text, its padding, the event's number. */
const OPEN_KEYS = ["delta", "obfuscation"].map((key) => Buffer.from(key));
const OPEN_INTEGER_KEYS = [Buffer.from("sequence_number")];
/** The largest event a template is learned from. */
const MAX_TEMPLATE_BYTES = 4096;

const isTypedEvent = (data: unknown): boolean => isObject(data) && typeof data.type === "string";
const checkTypedEvent = (event: Buffer) => checkSseEvent(event, isTypedEvent, true);

/** The event's `sequence_number` (the first one, read on bytes), or -1. */
function readSequenceNumber(event: Buffer): number {
  const at = event.indexOf(SEQUENCE);
  if (at === -1) return -1;
  let index = at + SEQUENCE.length;
  while (event[index] === 0x20) index++;
  let value = 0;
  let digits = 0;
  for (; digits < 15 && event[index] !== undefined; index++, digits++) {
    const digit = (event[index] as number) - 0x30;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  return digits === 0 ? -1 : value;
}

/** An event's data parsed as a typed event object, or null. */
function readTypedEvent(event: Buffer): (Record<string, unknown> & { type: string }) | null {
  const data = sseEventData(decoder.decode(event));
  if (data === null) return null;
  const parsed = parseUpstreamJson(data);
  if (!parsed.ok || !isObject(parsed.value) || typeof parsed.value.type !== "string") return null;
  return parsed.value as Record<string, unknown> & { type: string };
}

export function createResponsesUsageTap(options: ResponsesUsageTapOptions): RelayTransform {
  const { redact } = options;
  const quotesKey = options.quotesKey ?? (() => false);
  const mayQuote = (bytes: Buffer) => mayCarryError(bytes) || quotesKey(bytes);
  const looksConforming = (event: Buffer, oneLine?: boolean) =>
    isOneLineJsonEvent(event, TYPED, oneLine) || isDoneEvent(event);
  let lastSequence = -1;
  const normalizer =
    options.normalize === undefined ? null : createResponseEventNormalizer(options.normalize);
  /** A lifecycle event whose Response cannot be repaired ends the stream; else the dialect's full check. */
  const checkEvent = (event: Buffer) =>
    normalizer?.read(event)?.outcome === "invalid" ? invalidUpstreamEvent() : checkTypedEvent(event);
  /** A repaired lifecycle event, redacted and re-serialized (its usage read); null when it needed no repair. */
  const repaired = (lifecycle: LifecycleEvent | null | undefined): string | null => {
    if (lifecycle?.outcome !== "changed") return null;
    if (lifecycle.usage !== null && !answered) options.onUsage(lifecycle.usage); // after the end: not counted
    const redactError = options.redactError ?? redact;
    const redactor = isErrorText(lifecycle.data, isTypedEvent) ? redactError : redact;
    const clean =
      redactor === undefined
        ? lifecycle.data
        : redactJsonStrings(lifecycle.data, redactor, redactError).value;
    // A repaired `response.created` / `…in_progress` is what the client saw: the Response a failure ends.
    const response = (clean as { response?: unknown }).response;
    if (LIFECYCLE_TYPES.has(lifecycle.type) && isObject(response)) announced = response;
    if (TERMINAL_TYPES.has(lifecycle.type)) answered = true;
    return `event: ${lifecycle.type}\ndata: ${JSON.stringify(clean)}\n\n`;
  };
  /** The Response the last lifecycle event announced, as relayed (redacted when it was). */
  let announced: Readonly<Record<string, unknown>> | null = null;
  /** A terminal event (`response.completed`, `…failed`, `…incomplete`) went out: a later cut adds nothing. */
  let answered = false;
  /** The last event the check parsed: one like it (other delta text, another number) passes by one comparison. */
  let template: EventTemplate | null = null;
  /**
   * Whether an event that looks typed is proven valid JSON: it matches the template, or it parses (the
   * bytes prove nothing of its closing: `{"a":{"b":1}` ends in `}` too) and its shape becomes the template.
   */
  const passesAsIs = (event: Buffer): boolean => {
    if (template?.matches(event) === true || isDoneEvent(event)) return true;
    // A lifecycle event passes only as the spec's Response (its shape is then learned like any other).
    const lifecycle = normalizer?.read(event);
    if (lifecycle !== null && lifecycle !== undefined && lifecycle.outcome !== "unchanged") return false;
    if (checkEvent(event) !== null) return false;
    if (event.length <= MAX_TEMPLATE_BYTES)
      template = learnEventTemplate(event, OPEN_KEYS, OPEN_INTEGER_KEYS);
    return true;
  };
  return createSseTap(
    (event, cleared) => {
      const sequence = readSequenceNumber(event);
      if (sequence > lastSequence) lastSequence = sequence;
      if (options.onText !== undefined) {
        const text = countResponsesDeltaText(event);
        if (text > 0) options.onText(text);
      }
      const repair = cleared ? null : repaired(normalizer?.read(event));
      if (repair !== null) return repair;
      const redacted =
        redact !== undefined && !cleared && (mayQuote(event) || !looksConforming(event))
          ? redactSseEvent(event, redact, options.redactError ?? redact, isTypedEvent)
          : null;
      const kept = redacted === null ? "keep" : redacted === "" ? "drop" : redacted;
      if (LIFECYCLE.some((type) => event.indexOf(type) !== -1)) {
        const relayed = kept === "keep" ? event : kept === "drop" ? null : Buffer.from(kept);
        const lifecycle = relayed === null ? null : readTypedEvent(relayed);
        if (lifecycle !== null && LIFECYCLE_TYPES.has(lifecycle.type)) {
          if (isObject(lifecycle.response)) announced = lifecycle.response;
          return kept;
        }
      }
      if (!TERMINAL.some((type) => event.indexOf(type) !== -1)) return kept;
      const terminal = readTypedEvent(event);
      if (terminal === null) return kept;
      const { type, response } = terminal;
      if (!TERMINAL_TYPES.has(type) || !isObject(response)) return kept;
      // The first terminal event's usage is the call's: a second one (an upstream that goes on after its
      // end) cannot lower the charge.
      const first = !answered;
      if (kept !== "drop") answered = true;
      const usage = first ? readResponsesUsage(response.usage) : null;
      if (usage !== null) options.onUsage(usage);
      return kept;
    },
    {
      alterations: createAlterationSearch({ redacts: redact !== undefined, quotesKey }),
      looksConforming,
      checkEvent,
      passesAsIs,
      checksUnpassed: true,
      failureEvent: (failure) => options.failureEvent(failure, lastSequence + 1, announced),
      answered: () => answered,
      ...(options.maxEventBytes === undefined ? {} : { maxEventBytes: options.maxEventBytes }),
    },
  );
}
