/**
 * @module translate/compose-stream-translators
 * Two stream translators as one (A → B, then B → C): the first's SSE text is fed to the second as it is
 * produced. A failure is said once, by the second: when the first ends its stream with its own error event
 * (a provider error, an unreadable event), that event is withheld and the second ends its stream with
 * the same failure, in the client's dialect. When the second ends it (a cap), the first is ended with it.
 */
import type { GatewayError } from "../errors/gateway-error.ts";
import type { StreamTranslator } from "./stream-translator.ts";

export interface ComposeOptions {
  /** Whether one of the first translator's output events is its error event (withheld once it failed). */
  readonly isErrorEvent: (event: string) => boolean;
}

export function composeStreamTranslators(
  first: StreamTranslator,
  second: StreamTranslator,
  options: ComposeOptions,
): StreamTranslator {
  let firstFailure: GatewayError | null = null;
  let ended = false;

  /**
   * Feeds the first translator's events to the second; once the first failed (its error event withheld),
   * or at the end of the stream, the second ends: with the first's failure, else the upstream's.
   */
  const forward = (events: readonly string[], closing: boolean, upstreamFailure?: GatewayError): string[] => {
    const out: string[] = [];
    const failure = first.failure?.() ?? null;
    for (const event of events) {
      if (failure !== null && options.isErrorEvent(event)) continue;
      // Loops, never `push(...)`: an upstream decides how many events one piece makes.
      for (const translated of second.push(event)) out.push(translated);
    }
    if (failure !== null || closing) {
      firstFailure = failure;
      ended = true;
      for (const translated of second.end(failure ?? upstreamFailure)) out.push(translated);
      return out;
    }
    const secondFailure = second.failure?.() ?? null;
    if (secondFailure !== null) {
      // The second ended the stream itself (a cap, the answer memory): the first is ended too, so that it
      // reports what it read (the usage the upstream gave); its events are not written, the failure was said.
      ended = true;
      first.end(secondFailure);
    }
    return out;
  };

  return {
    push: (chunk) => (ended ? [] : forward(first.push(chunk), false)),
    end: (upstreamFailure) => (ended ? [] : forward(first.end(upstreamFailure), true, upstreamFailure)),
    failure: () => firstFailure ?? second.failure?.() ?? null,
  };
}
