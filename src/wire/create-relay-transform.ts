/**
 * @module wire/create-relay-transform
 * The one failure boundary of a relayed stream (a usage tap, a translator): whatever its handler throws or
 * refuses (an event over its cap, an unreadable event) ends that stream with one error event in the
 * client's dialect, on an event boundary, and is announced once; nothing escapes to the process. It also
 * runs the reads a handler deferred past the socket write of what it forwarded (`later`, then `settle`).
 */
import { Transform } from "node:stream";
import { GatewayError } from "../errors/gateway-error.ts";

/**
 * Emitted once when the transform ended its stream with an error event: the GatewayError, and the thrown
 * value when a handler threw (for the one log line of the caller, which must not print its text).
 */
export const STREAM_FAILED = "byok:stream-failed";

/** Writes a failure as the client dialect's error event (whole, ending in a blank line). */
export type FailureEvent = (failure: GatewayError) => string;

/** The handler stopped the stream: `written` when it already wrote its own error event. */
export interface RelayStop {
  readonly failure: GatewayError;
  readonly written: boolean;
}

export interface RelayHandler {
  /**
   * The next upstream chunk: output pieces go to `push` in order. `later` asks for `settle` once what was
   * pushed went out (the socket write of a chunk happens after this returns).
   */
  transform(chunk: Buffer, push: (piece: Buffer | string) => void, later: () => void): RelayStop | null;
  /** Runs the reads deferred with `later` (they only read: nothing is pushed for them). */
  settle?(): RelayStop | null;
  /** The upstream ended. */
  flush(push: (piece: Buffer | string) => void): RelayStop | null;
  /** The upstream failed: drop (or close) what is held; by default the failure's event follows. */
  fail(failure: GatewayError, push: (piece: Buffer | string) => void): RelayStop | null;
}

export interface RelayTransform extends Transform {
  /** The upstream failed: after the events already received, end with `failure`, never glued to a partial one. */
  endWithFailure(failure: GatewayError): void;
  /** Runs now the reads deferred past the socket write (usage, text): before the call is reported. */
  settle(): void;
  /**
   * Whether the upstream's buffered chunks may come joined into one (a tap, aligned on events whatever
   * the chunks); false: each chunk as the upstream delivered it (a translator).
   */
  readonly joinsChunks: boolean;
}

/** What a throw inside a handler becomes: the gateway's fault, said without the thrown text. */
export const relayFault = (): GatewayError =>
  new GatewayError("internal_error", {
    message: "The gateway failed while relaying the provider's stream.",
    code: "stream_relay_failed",
  });

export function createRelayTransform(
  handler: RelayHandler,
  failureEvent: FailureEvent,
  joinsChunks = false,
): RelayTransform {
  let stopped = false;
  let upstreamFailure: GatewayError | null = null;

  const transform = new Transform({
    transform(chunk: Buffer | string, _encoding, done) {
      if (!stopped)
        run(() => handler.transform(typeof chunk === "string" ? Buffer.from(chunk) : chunk, push, later));
      done();
    },
    flush(done) {
      if (!stopped) {
        const failure = upstreamFailure;
        run(() =>
          failure === null
            ? handler.flush(push)
            : (handler.fail(failure, push) ?? { failure, written: false }),
        );
      }
      done();
    },
  }) as RelayTransform;
  const push = (piece: Buffer | string): void => {
    transform.push(piece);
  };
  let scheduled: NodeJS.Immediate | null = null;
  const settle = (): void => {
    if (scheduled !== null) {
      clearImmediate(scheduled);
      scheduled = null;
    }
    if (handler.settle !== undefined) run(handler.settle);
  };
  // A check-phase callback: it runs after the nextTick that uncorks the response socket.
  const later = (): void => {
    scheduled ??= setImmediate(settle);
  };

  const stop = ({ failure, written }: RelayStop, thrown?: unknown): void => {
    if (stopped) return;
    stopped = true;
    if (!written) {
      try {
        handler.settle?.(); // what was forwarded is read first (a failure event may number itself after it)
      } catch {
        // a read that throws here is the failure already being written
      }
      try {
        transform.push(failureEvent(failure));
      } catch {
        // An encoder that throws writes nothing: the stream still ends, on an event boundary.
      }
    }
    try {
      transform.emit(STREAM_FAILED, failure, thrown);
    } catch {
      // A listener that throws must not escape from inside the stream's machinery either.
    }
  };
  const run = (step: () => RelayStop | null): void => {
    let outcome: RelayStop | null;
    try {
      outcome = step();
    } catch (error) {
      stop({ failure: relayFault(), written: false }, error);
      return;
    }
    if (outcome !== null) stop(outcome);
  };

  transform.settle = settle;
  (transform as { joinsChunks: boolean }).joinsChunks = joinsChunks;
  transform.endWithFailure = (failure) => {
    if (transform.writableEnded) return;
    upstreamFailure = failure;
    transform.end();
  };
  return transform;
}
