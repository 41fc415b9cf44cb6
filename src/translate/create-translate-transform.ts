/**
 * @module translate/create-translate-transform
 * A relay transform around a stream translator: upstream bytes in, translated SSE text out as each event
 * completes (nothing buffered beyond the parser's capped partial event). The translator's own error event
 * ends the stream and is announced; a throw becomes one error event in the client's dialect. With a
 * redaction, translated events that quote a key in play leave with every decoded string redacted.
 */
import {
  createRelayTransform,
  type FailureEvent,
  type RelayTransform,
} from "../wire/create-relay-transform.ts";
import { redactSseEvent } from "../wire/redact-sse-event.ts";
import type { StreamTranslator } from "./stream-translator.ts";

/**
 * The keys in play: a cheap test of a text (a key whole or masked, as providers echo them, or an escape that
 * may hide one in nested JSON) and the full redactor.
 */
export interface TranslateRedaction {
  readonly quotesKey: (text: string) => boolean;
  readonly redact: (text: string) => string;
}

/**
 * What one upstream piece's translated events become: their text as it is when the cheap test finds no key
 * in it (the common case: a few substring searches, no copy); else each event that quotes one parsed and
 * its strings redacted (wire/redact-sse-event.ts).
 */
function redactedEvents(events: readonly string[], { quotesKey, redact }: TranslateRedaction): string {
  const text = events.join("");
  if (!quotesKey(text)) return text;
  let redacted = "";
  for (const event of events)
    redacted += quotesKey(event) ? (redactSseEvent(Buffer.from(event), redact) ?? event) : event;
  return redacted;
}

/** Where one event of the gateway's own SSE text ends (its JSON is one line: a blank line ends it). */
const EVENT_END = /(?<=\n\n)/;

export function createTranslateTransform(
  translator: StreamTranslator,
  failureEvent: FailureEvent,
  redaction?: TranslateRedaction,
): RelayTransform {
  const emit = (out: readonly string[], push: (piece: string) => void) => {
    if (out.length > 0) push(redaction === undefined ? out.join("") : redactedEvents(out, redaction));
    const failure = translator.failure?.() ?? null;
    return failure === null ? null : { failure, written: true };
  };
  return createRelayTransform(
    {
      transform: (chunk, push) => emit(translator.push(chunk), push),
      flush: (push) => emit(translator.end(), push),
      // The upstream failed (or the call was cut): the translator closes the stream cut short with that
      // failure's error event, or had already seen the whole answer (nothing more is written).
      fail: (failure, push) => emit(translator.end(failure), push) ?? { failure, written: true },
    },
    // A failure event may carry the answer so far (a failed Response's output): redacted like the rest.
    redaction === undefined
      ? failureEvent
      : (failure) => redactedEvents(failureEvent(failure).split(EVENT_END), redaction),
  );
}
