/**
 * @module pipeline/relay-stream
 * Relays an upstream SSE body to the client through a relay transform (a usage tap or a translator):
 * nothing buffered beyond one capped event, an upstream failure mid-stream becomes an error event the
 * client's SDK raises (after the last whole event, never glued to a partial one), a failure the
 * transform found (a cap, an unreadable event, a throw) ends that stream alone, and a client that leaves
 * stops the upstream. Every listener here is a failure boundary: nothing thrown reaches the process.
 * What the upstream has buffered goes to a tap as one chunk (events that arrived together are checked
 * and written together: one write to the client, not one per event); a translator gets the upstream's chunks.
 */
import type { Readable } from "node:stream";
import { GatewayError } from "../errors/gateway-error.ts";
import { type RelayTransform, STREAM_FAILED } from "../wire/create-relay-transform.ts";

export interface RelayOptions {
  /**
   * The caller's abort: set when the client went away, or when the call was cut (revocation, shutdown:
   * its reason is then a GatewayError, and the stream ends with that error's event).
   */
  readonly signal: AbortSignal;
  readonly mapFailure: (error: unknown) => GatewayError;
  /** Called once when the relay ends: `ok`, `client_aborted` or the failure's error type. */
  readonly onEnd: (outcome: string) => void;
  /** Called once when a handler threw (the value thrown): the one log line, without its text. */
  readonly onFault?: (thrown: unknown) => void;
}

/** Moves the upstream's bytes into the transform, all it holds at once, with backpressure; `stop` ends it. */
function pump(upstream: Readable, tap: RelayTransform): () => void {
  let stopped = false;
  let waiting = false;
  const drained = () => {
    waiting = false;
    flow();
  };
  const flow = () => {
    if (waiting) return;
    for (let chunk = upstream.read(); !stopped && chunk !== null; chunk = upstream.read())
      if (!tap.write(chunk)) {
        waiting = true;
        tap.once("drain", drained);
        return;
      }
  };
  const ended = () => {
    if (!stopped && !tap.writableEnded) tap.end();
  };
  upstream.on("readable", flow);
  upstream.once("end", ended);
  return () => {
    stopped = true;
    upstream.off("readable", flow);
    upstream.off("end", ended);
    tap.off("drain", drained);
  };
}

export function relayStream(upstream: Readable, tap: RelayTransform, options: RelayOptions): Readable {
  let ended = false;
  const end = (outcome: string) => {
    if (ended) return;
    tap.settle(); // the reads deferred past the socket write (usage, text) come before the report
    if (ended) return;
    ended = true;
    try {
      options.onEnd(outcome);
    } catch (error) {
      fault(error);
    }
  };
  const fault = (thrown: unknown) => {
    try {
      options.onFault?.(thrown);
    } catch {
      // a sink that throws is not allowed to end the process either
    }
  };
  // Whole once the transform flushed (a translator may still find the stream cut short there).
  tap.once("finish", () => end("ok"));
  upstream.on("error", (error) => {
    if (ended) return;
    const { signal } = options;
    const cut = signal.aborted && signal.reason instanceof GatewayError ? signal.reason : null;
    if (signal.aborted && cut === null) {
      tap.destroy();
      end("client_aborted");
      return;
    }
    let failure: GatewayError | null = cut;
    try {
      failure ??= options.mapFailure(error);
    } catch (thrown) {
      fault(thrown);
    }
    if (failure === null) {
      tap.destroy();
      end("internal_error");
      return;
    }
    tap.endWithFailure(failure);
    end(failure.type);
  });
  // The transform ended the stream itself: record why, stop reading the upstream, finish the output.
  tap.once(STREAM_FAILED, (failure: GatewayError, thrown: unknown) => {
    if (thrown !== undefined) fault(thrown);
    end(failure.type);
    stop();
    upstream.unpipe(tap);
    upstream.destroy();
    if (!tap.writableEnded) tap.end();
  });
  tap.once("close", () => {
    if (ended) return;
    end("client_aborted");
    stop();
    upstream.destroy();
  });
  let stop = () => {};
  if (tap.joinsChunks) stop = pump(upstream, tap);
  else upstream.pipe(tap);
  return tap;
}
