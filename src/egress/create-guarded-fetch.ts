/**
 * @module createGuardedFetch: a fetch-compatible function for SDKs (`new OpenAI({fetch})`) that sends
 * only through the pinned dispatcher: redirects refused, caller dispatchers refused, no environment
 * proxy, a total time limit and a decoded-size cap; failures become EgressError with a reason code.
 */
import type { Agent, RequestInit as UndiciRequestInit, Response as UndiciResponse } from "undici";
import type { EgressPolicy } from "./create-egress-policy.ts";
import { createAgent } from "./create-guarded-dispatcher.ts";
import type { EgressDenyReason } from "./egress-deny-reasons.ts";
import { EgressError } from "./egress-error.ts";
import { type EgressEventDetails, notifyObserver } from "./egress-observer.ts";
import { limitResponseBody } from "./limit-response-body.ts";
import { mapUpstreamError } from "./map-upstream-error.ts";
import { type EgressLimits, parseEgressLimits } from "./parse-egress-limits.ts";
import { parseEgressUrl } from "./parse-egress-url.ts";
import { requestInitOf, urlOf } from "./read-fetch-input.ts";

export type GuardedFetch = ((input: string | URL | Request, init?: RequestInit) => Promise<Response>) & {
  /** The pinned dispatcher this fetch sends through. */
  readonly dispatcher: Agent;
  /** Closes the dispatcher's pooled sockets. */
  close(): Promise<void>;
};

/** undici's fetch and Response, loaded on first use: the serve path never needs them (egress/undici-parts). */
let fetchParts: Promise<typeof import("undici")> | undefined;

const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const nullBodyStatuses = new Set([101, 103, 204, 205, 304]);
/** A reason phrase as RFC 9110 allows it (HTAB, SP, VCHAR, obs-text): what a `Response` accepts. */
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** A final answer's head a `Response` can carry: a status from 200 to 599 and a valid reason phrase. */
const isRelayableHead = (status: number, statusText: string): boolean =>
  status >= 200 && status <= 599 && REASON_PHRASE.test(statusText);

export function createGuardedFetch(policy: EgressPolicy, limits: EgressLimits = {}): GuardedFetch {
  const resolved = parseEgressLimits(limits);
  const dispatcher = createAgent(policy, resolved);

  const fail = (reason: EgressDenyReason, details: EgressEventDetails): EgressError => {
    notifyObserver(policy.observer, "onDenied", reason, details);
    return new EgressError(reason);
  };

  const guardedFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if ((init as { dispatcher?: unknown } | undefined)?.dispatcher !== undefined) {
      throw fail("dispatcher_not_allowed", { stage: "fetch" });
    }
    const parsed = parseEgressUrl(urlOf(input), policy, "request");
    if (!parsed.ok) throw fail(parsed.reason, { stage: "fetch", host: parsed.host, rule: parsed.rule });
    const host = parsed.url.hostname;
    fetchParts ??= import("undici");
    const { fetch: undiciFetch, Response: UndiciResponseClass } = await fetchParts;
    const requestInit = requestInitOf(input, init);
    const callerSignal = requestInit.signal ?? undefined;
    const limit = new AbortController();
    const timer = setTimeout(
      () => limit.abort(new EgressError("total_timeout")),
      resolved.totalTimeoutMs,
    ).unref();
    const signal = callerSignal === undefined ? limit.signal : AbortSignal.any([callerSignal, limit.signal]);

    const toFailure = (error: unknown): unknown => {
      if (callerSignal?.aborted === true) return error; // the caller's own abort passes unchanged
      const limitReason: unknown = limit.signal.reason;
      const { reason, cause } =
        limitReason instanceof EgressError
          ? { reason: limitReason.reason, cause: "limit" }
          : mapUpstreamError(error);
      return fail(reason, { stage: "fetch", host, cause });
    };

    let response: UndiciResponse;
    try {
      response = await undiciFetch(parsed.url.href, {
        ...(requestInit as UndiciRequestInit),
        signal,
        redirect: "manual",
        dispatcher,
      });
    } catch (error) {
      clearTimeout(timer);
      throw toFailure(error);
    }
    // A status like 999 or a reason phrase with control bytes: no Response can carry it, and the socket is
    // released now rather than at the total limit.
    if (!isRelayableHead(response.status, response.statusText)) {
      clearTimeout(timer);
      await response.body?.cancel().catch(() => {});
      throw fail("request_failed", { stage: "fetch", host, status: response.status });
    }
    if (
      redirectStatuses.has(response.status) ||
      (response.status >= 300 && response.status < 400 && response.headers.has("location"))
    ) {
      clearTimeout(timer);
      await response.body?.cancel().catch(() => {});
      throw fail("redirect_refused", { stage: "fetch", host, status: response.status });
    }
    if (response.body === null || nullBodyStatuses.has(response.status)) {
      clearTimeout(timer);
      return response as unknown as Response;
    }
    const body = limitResponseBody(response.body, {
      maxBytes: resolved.maxResponseBytes,
      mapError: toFailure,
      tooLarge: () => fail("response_too_large", { stage: "fetch", host }),
      abort: (reason) => limit.abort(reason),
      onSettled: () => clearTimeout(timer),
    });
    const limited = new UndiciResponseClass(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
    Object.defineProperty(limited, "url", { value: response.url });
    return limited as unknown as Response;
  };

  return Object.assign(guardedFetch, { dispatcher, close: () => dispatcher.close() });
}
