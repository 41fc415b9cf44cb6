/**
 * @module wire/create-relay-transform
 * The one failure boundary of a relayed stream (a usage tap, a translator): whatever its handler throws or
 * refuses (an event over its cap, an unreadable event) ends that stream with one error event in the
 * client's dialect, on an event boundary, and is announced once; nothing escapes to the process. It also
 * runs the reads a handler deferred past the socket write of what it forwarded (`later`, then `settle`), and
 * the rest of a chunk a handler put off until what it pushed went out (`defer`: a setImmediate, or `settle`).
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
   * pushed went out (the socket write of a chunk happens after this returns). `defer(rest)` finishes the
   * chunk with `rest` after that write (a check-phase callback; the next chunk waits for it).
   */
  transform(
    chunk: Buffer,
    push: (piece: Buffer | string) => void,
    later: () => void,
    defer: (rest: () => RelayStop | null) => void,
  ): RelayStop | null;
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
  /**
   * Runs now the rest of a deferred chunk and the reads deferred past the socket write (usage, text):
   * before the call is reported.
   */
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

  /** The rest of the chunk being transformed, put off with `defer`; its callback; the immediate that runs it. */
  let rest: (() => RelayStop | null) | null = null;
  let restDone: (() => void) | null = null;
  let resuming: NodeJS.Immediate | null = null;
  const defer = (next: () => RelayStop | null): void => {
    rest = next;
  };
  /** Runs the rest put off, if any (it may put off more); then the chunk is done. */
  const resume = (): void => {
    resuming = null;
    while (rest !== null) {
      const next = rest;
      rest = null;
      if (!stopped) run(next);
    }
    const done = restDone;
    restDone = null;
    done?.();
  };

  const transform = new Transform({
    transform(chunk: Buffer | string, _encoding, done) {
      if (!stopped)
        run(() =>
          handler.transform(typeof chunk === "string" ? Buffer.from(chunk) : chunk, push, later, defer),
        );
      if (stopped) rest = null;
      if (rest === null) {
        done();
        return;
      }
      // A check-phase callback, like `later`: the nextTick that uncorks the socket writes what was pushed first.
      restDone = done;
      resuming = setImmediate(resume);
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
    destroy(error, done) {
      // A stream destroyed while a chunk's rest waits leaves no immediate behind: `settle` still reads it.
      if (resuming !== null) clearImmediate(resuming);
      resuming = null;
      done(error);
    },
  }) as RelayTransform;
  let scheduled: NodeJS.Immediate | null = null;
  const push = (piece: Buffer | string): void => {
    transform.push(piece);
  };
  const settle = (): void => {
    // The rest of a deferred chunk first (finishing it may start the next chunk written, which may defer).
    while (restDone !== null) {
      if (resuming !== null) clearImmediate(resuming);
      resume();
    }
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
