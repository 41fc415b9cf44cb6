/**
 * @module egress/limit-informational-heads
 * A headers deadline undici cannot refresh: undici restarts its headers timer on every informational (1xx) head,
 * so an upstream sending `102 Processing` forever would only meet the total limit. Checked on each 1xx head.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";
import { ForwardingHandler } from "./forwarding-handler.ts";
import { errors } from "./undici-parts.ts";

/** The most informational heads one answer may carry (real servers send 0-2: `102 Processing`, `103 Early Hints`). */
export const MAX_INFORMATIONAL_HEADS = 16;

/**
 * What ends a call on its `count`-th informational head, else null: past `headersMs` since the request went out,
 * undici's own headers time-out (the same reason, `headers_timeout`); past MAX_INFORMATIONAL_HEADS, a malformed
 * answer (`request_failed`). `headersMs` 0 is undici's "no headers limit".
 */
export function refuseInformationalHead(count: number, startedAt: number, headersMs: number): Error | null {
  if (headersMs > 0 && Date.now() - startedAt >= headersMs) return new errors.HeadersTimeoutError();
  if (count > MAX_INFORMATIONAL_HEADS) {
    return new errors.ResponseError("too many informational (1xx) heads", 0, { headers: null, body: null });
  }
  return null;
}

/** Passes every event on to the call's own handler; ends the call on a 1xx head `refuseInformationalHead` refuses. */
class InformationalHeadsHandler extends ForwardingHandler {
  readonly #headersMs: number;
  #startedAt = 0;
  #informational = 0;

  constructor(handler: Dispatcher.DispatchHandler, headersMs: number) {
    super(handler);
    this.#headersMs = headersMs;
  }

  override onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    // The request is being written: undici starts its own headers timer now too.
    this.#startedAt = Date.now();
    this.handler.onRequestStart?.(controller, context);
  }

  override onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    if (statusCode < 200) {
      const refused = refuseInformationalHead(++this.#informational, this.#startedAt, this.#headersMs);
      if (refused !== null) {
        if (!controller.aborted) controller.abort(refused);
        return;
      }
    }
    this.handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }
}

/**
 * Holds every call dispatched through it to its headers limit (the call's `headersTimeout`, else `headersMs`)
 * and to MAX_INFORMATIONAL_HEADS informational heads, however often 1xx heads refresh undici's timer.
 */
export function limitInformationalHeads(headersMs: number): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (options, handler) =>
    dispatch(options, new InformationalHeadsHandler(handler, options.headersTimeout ?? headersMs));
}
