/**
 * @module pipeline/relay-stream
 * Relays an upstream SSE body to the client through the usage tap: nothing buffered, an upstream failure
 * mid-stream becomes an error event the OpenAI SDK raises, and a client that leaves stops the upstream.
 */
import type { Readable, Transform } from "node:stream";
import type { GatewayError } from "../errors/gateway-error.ts";
import { toOpenAiErrorBody } from "../wire/openai/openai-error-body.ts";

export interface RelayOptions {
  /** The caller's abort: set when the client went away. */
  readonly signal: AbortSignal;
  readonly mapFailure: (error: unknown) => GatewayError;
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
    if (options.signal.aborted) {
      tap.destroy();
      end("client_aborted");
      return;
    }
    const failure = options.mapFailure(error);
    tap.end(`data: ${JSON.stringify(toOpenAiErrorBody(failure))}\n\n`);
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
