/**
 * @module pipeline/relay-stream
 * Relays an upstream SSE body to the client through the usage tap: nothing buffered, an upstream failure
 * mid-stream becomes an error event the OpenAI SDK raises, and a client that leaves stops the upstream.
 */
import type { Readable, Transform } from "node:stream";
import { GatewayError } from "../errors/gateway-error.ts";

export interface RelayOptions {
  /**
   * The caller's abort: set when the client went away, or when the call was cut (revocation, shutdown:
   * its reason is then a GatewayError, and the stream ends with that error's event).
   */
  readonly signal: AbortSignal;
  readonly mapFailure: (error: unknown) => GatewayError;
  /**
   * The client-dialect event that ends a failed stream, written through the transform (a passthrough
   * tap forwards it); null when the transform itself closes the stream with its own error event on end
   * (a translator, which then reports the stream as cut short).
   */
  readonly failureEvent: ((failure: GatewayError) => string) | null;
  /** Called once when the relay ends; with the error type when the upstream failed. */
  readonly onEnd: (outcome: string) => void;
}

export function relayStream(upstream: Readable, tap: Transform, options: RelayOptions): Readable {
  let ended = false;
  const end = (outcome: string) => {
    if (ended) return;
    ended = true;
    options.onEnd(outcome);
  };
  upstream.once("end", () => end("ok"));
  upstream.on("error", (error) => {
    if (ended) return;
    const { signal } = options;
    const cut = signal.aborted && signal.reason instanceof GatewayError ? signal.reason : null;
    if (signal.aborted && cut === null) {
      tap.destroy();
      end("client_aborted");
      return;
    }
    const failure = cut ?? options.mapFailure(error);
    if (options.failureEvent === null) tap.end();
    else tap.end(options.failureEvent(failure));
    end(failure.type);
  });
  tap.once("close", () => {
    if (!upstream.readableEnded && !ended) {
      end("client_aborted");
      upstream.destroy();
    }
  });
  upstream.pipe(tap);
  return tap;
}
