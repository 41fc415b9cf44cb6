/**
 * @module Wraps a decoded response body: counts decoded bytes against the cap, turns read failures into
 * safe errors, and reports exactly once when the body ends, fails or is cancelled.
 */
import type { EgressError } from "./egress-error.ts";

export interface BodyLimitOptions {
  readonly maxBytes: number;
  /** Turns a read failure into the error the consumer sees (an EgressError, or a caller's abort). */
  readonly mapError: (error: unknown) => unknown;
  /** Called once: with no argument on a clean end or a cancel, with the error on a failure. */
  readonly onSettled: (error?: unknown) => void;
  /** Reports the cap and builds its error (an EgressError `response_too_large`). */
  readonly tooLarge: () => EgressError;
  /** Stops the upstream exchange (releases the socket) when the cap is hit. */
  readonly abort: (reason: EgressError) => void;
}

export function limitResponseBody(
  body: ReadableStream<Uint8Array>,
  options: BodyLimitOptions,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let received = 0;
  let settled = false;
  const settle = (error?: unknown): void => {
    if (settled) return;
    settled = true;
    options.onSettled(error);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            settle();
            controller.close();
            return;
          }
          received += value.byteLength;
          if (received > options.maxBytes) {
            const error = options.tooLarge();
            settle(error);
            options.abort(error);
            reader.cancel(error).catch(() => {});
            controller.error(error);
            return;
          }
          controller.enqueue(value);
        } catch (error) {
          const mapped = options.mapError(error);
          settle(mapped);
          controller.error(mapped);
        }
      },
      cancel(reason) {
        settle();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
