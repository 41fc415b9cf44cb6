/**
 * @module egress/cap-response-size
 * An undici interceptor that counts a response body's bytes as they pass and aborts the exchange past the cap,
 * for the pools that may speak HTTP/2 (undici enforces `maxResponseSize` on HTTP/1.1 only).
 */
import type { Dispatcher } from "undici";
import { ForwardingHandler } from "./forwarding-handler.ts";
import { errors } from "./undici-parts.ts";

/**
 * Passes every event on to the call's own handler, counting the body's bytes: past `maxBytes` the exchange is
 * aborted (an HTTP/2 stream is reset, a socket closed) with undici's `ResponseExceededMaxSizeError`, the error
 * HTTP/1.1's parser gives, so a body stream, its `text()` and the failure mapping see one error whatever the
 * protocol. Nothing is held: a chunk under the cap goes straight on, the one that crosses it is dropped.
 */
class SizeCapHandler extends ForwardingHandler {
  readonly #maxBytes: number;
  #received = 0;

  constructor(handler: Dispatcher.DispatchHandler, maxBytes: number) {
    super(handler);
    this.#maxBytes = maxBytes;
  }

  override onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#received += chunk.length;
    if (this.#received > this.#maxBytes) {
      if (!controller.aborted) controller.abort(new errors.ResponseExceededMaxSizeError());
      return;
    }
    this.handler.onResponseData?.(controller, chunk);
  }
}

/** Caps every response body dispatched through it at `maxBytes` (counted as received, never buffered). */
export function capResponseSize(maxBytes: number): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (options, handler) => dispatch(options, new SizeCapHandler(handler, maxBytes));
}
