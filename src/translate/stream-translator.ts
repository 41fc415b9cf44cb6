/**
 * @module translate/stream-translator
 * The shape of every stream translator (bytes or text of one dialect's SSE in, SSE text of the other out,
 * per-stream state in its closure) and an async-generator adapter over any chunk source.
 */
import type { GatewayError } from "../errors/gateway-error.ts";

export interface StreamTranslator {
  /** The next piece of the upstream stream, split anywhere; answers the output events it completed. */
  push(chunk: string | Uint8Array): string[];
  /**
   * The upstream ended: the closing events (or an error event when the stream was cut short). With
   * `upstreamFailure` (the upstream failed, or the call was cut), a partial event is dropped and a stream
   * cut short ends with that failure's error event.
   */
  end(upstreamFailure?: GatewayError): string[];
  /** The failure the translator ended the stream with (its own error event written), or null. */
  failure?(): GatewayError | null;
}

export async function* translateStream(
  source: AsyncIterable<string | Uint8Array>,
  translator: StreamTranslator,
): AsyncGenerator<string> {
  for await (const chunk of source) yield* translator.push(chunk);
  yield* translator.end();
}
