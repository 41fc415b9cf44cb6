/**
 * @module library/client-gone-signal
 * A request's "the client left" signal, as the adapters put it in the request context: a Node response that
 * closed before it finished (its socket gone), or a fetch `Request`'s own signal. An answer that finished
 * never aborts it, so work the app starts after answering is not cut.
 */
import type { RequestContext } from "./request-context.ts";

/** The parts of Node's ServerResponse the signal listens to; a response without them gives no signal. */
export interface ClosableResponse {
  readonly writableFinished?: boolean;
  /** Node's `ServerResponse`: true once it closed (its `close` already emitted). */
  readonly closed?: boolean;
  readonly destroyed?: boolean;
  once?(event: "close", listener: () => void): unknown;
}

/**
 * Aborted when `response` closes before it finished (also when it already had, while the request was
 * being authenticated: its `close` is not emitted again); undefined when `response` cannot tell.
 */
export function clientGoneSignal(response: ClosableResponse): AbortSignal | undefined {
  if (typeof response.once !== "function") return undefined;
  if ((response.closed === true || response.destroyed === true) && response.writableFinished !== true)
    return AbortSignal.abort();
  const controller = new AbortController();
  response.once("close", () => {
    if (response.writableFinished !== true) controller.abort();
  });
  return controller.signal;
}

/** `context` with the client's signal (when there is one). */
export function withClientSignal(context: RequestContext, signal: AbortSignal | undefined): RequestContext {
  return signal === undefined ? context : { ...context, signal };
}
