/**
 * @module library/request-context
 * The current request's principal and validated keys, carried by AsyncLocalStorage (never module state).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Principal } from "../auth/principal.ts";
import type { ByokContext } from "../validation/byok-context.ts";

export interface RequestContext {
  readonly principal: Principal;
  readonly byok: ByokContext;
  /**
   * Aborted when the request's client left before its answer was finished (the adapters set it): the model
   * calls that read this context as the current one end with it, their upstream released, as on the gateway.
   */
  readonly signal?: AbortSignal;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `work` with `context` as the current request context (and everything it awaits). */
export function runWithContext<T>(context: RequestContext, work: () => T): T {
  return storage.run(Object.freeze({ ...context }), work);
}

/** The current request context, or undefined outside one. */
export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/** The current request context; throws when called outside one. */
export function requireContext(): RequestContext {
  const context = storage.getStore();
  if (context === undefined)
    throw new Error("byok-gateway: no request context (wrap the handler with byok.run or the middleware)");
  return context;
}
