/**
 * @module library/ai-sdk/resolve-model-call
 * Whose call an AI SDK model makes: an explicit context (a job outside a request), else the current request's.
 */
import { isUserId } from "../../auth/principal.ts";
import type { ModelCall } from "../../pipeline/index.ts";
import { type ByokContext, noByokContext } from "../../validation/byok-context.ts";
import { type RequestContext, requireContext } from "../request-context.ts";

/**
 * Binds a model to a caller. Without any field the model reads the current request's context
 * (`currentContext()`) at every call. Outside a request name one: a whole `context` (as `byok.handle`
 * returns), or a `userId` with its `plan` and, when the job holds the user's validated keys, their `byok`
 * context (without it the operator's keys serve, metered and limited by the plan).
 */
export interface ByokModelOptions {
  readonly context?: RequestContext;
  readonly userId?: string;
  readonly plan?: string | null;
  readonly byok?: ByokContext;
}

/** Checked when the model is made, so a wrong binding fails at once rather than on the first call. */
export function checkModelOptions(options: ByokModelOptions): void {
  const callerFields =
    options.userId !== undefined || options.plan !== undefined || options.byok !== undefined;
  if (options.context !== undefined && callerFields) {
    throw new TypeError("byok-gateway: give either `context` or `userId` (with `plan`, `byok`), not both");
  }
  if (options.context !== undefined && options.context.byok.userId !== options.context.principal.userId) {
    throw new TypeError("byok-gateway: the context's keys were validated for another user");
  }
  if (options.userId !== undefined && !isUserId(options.userId)) {
    throw new TypeError("byok-gateway: `userId` must be 1-128 characters of letters, digits and ._:@-");
  }
  if (options.userId === undefined && (options.byok !== undefined || options.plan !== undefined)) {
    throw new TypeError("byok-gateway: `plan` and `byok` need a `userId`");
  }
  if (options.byok !== undefined && options.byok.userId !== options.userId) {
    throw new TypeError("byok-gateway: `byok` was validated for another user than `userId`");
  }
}

/** The call's own abort signal and the client's (when the call reads the current request's context). */
function callSignalOf(signal: AbortSignal | undefined, clientSignal: AbortSignal | undefined): AbortSignal {
  if (signal === undefined) return clientSignal ?? new AbortController().signal;
  return clientSignal === undefined ? signal : AbortSignal.any([signal, clientSignal]);
}

/**
 * The pipeline call for one model call (throws outside a request when the model names no caller). A call
 * that reads the current request's context also ends when that request's client leaves (`context.signal`);
 * a caller named in the options (a job) does not.
 */
export function resolveModelCall(options: ByokModelOptions, signal: AbortSignal | undefined): ModelCall {
  if (options.userId !== undefined) {
    return {
      userId: options.userId,
      plan: options.plan ?? null,
      byok: options.byok ?? noByokContext(options.userId),
      signal: callSignalOf(signal, undefined),
    };
  }
  const context = options.context ?? requireContext();
  const callSignal = callSignalOf(signal, options.context === undefined ? context.signal : undefined);
  return {
    userId: context.principal.userId,
    plan: context.principal.plan,
    via: context.principal.via,
    byok: context.byok,
    signal: callSignal,
  };
}
