/**
 * @module translate/create-translate-transform
 * A relay transform around a stream translator: upstream bytes in, translated SSE text out as each event
 * completes (nothing buffered beyond the parser's capped partial event). The translator's own error event
 * ends the stream and is announced; a throw becomes one error event in the client's dialect.
 */
import {
  createRelayTransform,
  type FailureEvent,
  type RelayTransform,
} from "../wire/create-relay-transform.ts";
import type { StreamTranslator } from "./stream-translator.ts";

export function createTranslateTransform(
  translator: StreamTranslator,
  failureEvent: FailureEvent,
): RelayTransform {
  const emit = (out: readonly string[], push: (piece: string) => void) => {
    if (out.length > 0) push(out.join(""));
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
    failureEvent,
  );
}
