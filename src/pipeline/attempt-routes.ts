/**
 * @module pipeline/attempt-routes
 * The attempt loop (docs/features-and-routing.md, "When an upstream fails"): a request's planned routes in
 * order, each skipped while its breaker is open, retried where safe, left for the next on a failure before
 * any byte reached the client; stopped by the attempt and time budget, the client's abort or a final error.
 */
import { GatewayError, isGatewayError, withHeaders } from "../errors/gateway-error.ts";
import type { CircuitBreakers } from "../resilience/index.ts";
import { upstreamOf } from "../resilience/index.ts";
import type { AttemptPolicy, FailedAttempt, Route } from "../routing/index.ts";
import { formatRouteHeader } from "../routing/index.ts";
import { type AttemptFailure, attemptFailureOf } from "./attempt-failure.ts";

/** How an attempt ended, as `byok_upstream_attempts_total` counts it. */
export type AttemptOutcome = "served" | "retried" | "fell_back" | "failed" | "skipped";

export type AttemptObserver = (route: Route, outcome: AttemptOutcome) => void;

export interface AttemptOptions {
  readonly breakers: CircuitBreakers;
  readonly policy: AttemptPolicy;
  /** When the request arrived (the budget counts from it). */
  readonly started: number;
  readonly now: () => number;
  /** The client's abort (or a cut): no attempt starts and no wait lasts after it. */
  readonly signal: AbortSignal;
  /** False for a body that can be sent once (a streamed upload): one attempt only. */
  readonly replayable: boolean;
  readonly onAttempt?: AttemptObserver | undefined;
  /** Each attempt's route, before it starts (whose key it runs on: revocation cuts byok calls only). */
  readonly onRoute?: ((route: Route) => void) | undefined;
  /** [0, 1): the backoff's jitter. */
  readonly random?: () => number;
  /** The backoff's timers (tests fire them by hand); the global ones by default. */
  readonly timers?: BackoffTimers;
}

export interface BackoffTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const GLOBAL_TIMERS: BackoffTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** A served answer whose headers can name the failed attempts before it. */
interface Answer {
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Serves the request on the first route that answers. `serve` makes one attempt (admits, sends, reports
 * its own usage row); a thrown error tagged by the send step (attempt-failure.ts) may move on, anything
 * else is final. A returned answer is never retried (its bytes are the client's from then on).
 */
export async function attemptRoutes<T extends Answer>(
  routes: readonly Route[],
  serve: (route: Route) => Promise<T>,
  options: AttemptOptions,
): Promise<T> {
  const { breakers, policy, signal } = options;
  const failed: FailedAttempt[] = [];
  let attempts = 0;
  let last: { readonly route: Route; readonly error: unknown; readonly entry: FailedAttempt } | null = null;
  /** What the request ends with once no attempt may follow: the last attempt's error, naming what failed before it. */
  const exhausted = () =>
    last === null
      ? finalError(allSkipped(routes), routes[0]!, failed)
      : finalError(
          last.error,
          last.route,
          failed.filter((entry) => entry !== last!.entry),
        );
  for (let index = 0; index < routes.length; index++) {
    let route = routes[index]!;
    const upstream = upstreamOf(route);
    if (upstream !== null && !breakers.allow(upstream)) {
      failed.push({ route, reason: "circuit_open" });
      options.onAttempt?.(route, "skipped");
      continue;
    }
    // The operator key slots this route tried, made only once one failed (nothing allocated on success).
    let triedSlots: Set<number> | null = null;
    let retries = 0;
    for (;;) {
      if (attempts > 0 && !mayStart(options, attempts)) throw exhausted();
      attempts++;
      options.onRoute?.(route);
      let failure: AttemptFailure | undefined;
      try {
        const answer = await serve(route);
        if (upstream !== null) breakers.succeeded(upstream);
        options.onAttempt?.(route, "served");
        return failed.length === 0 ? answer : named(answer, route, failed);
      } catch (error) {
        failure = attemptFailureOf(error);
        if (failure !== undefined && upstream !== null) {
          if (failure.countsAgainstUpstream) breakers.failed(upstream);
          else if (failure.status !== null) breakers.succeeded(upstream); // it answered: it is up
        }
        if (failure === undefined || !failure.movesOn || !options.replayable || signal.aborted) {
          options.onAttempt?.(route, "failed");
          throw failed.length === 0 ? error : finalError(error, route, failed);
        }
        last = { route, error, entry: { route, reason: failure.reason } };
        failed.push(last.entry);
      }
      if (route.operatorKey !== undefined) {
        triedSlots ??= new Set();
        triedSlots.add(route.operatorKey.slot);
      }
      const next = nextStep(route, failure, retries, policy, triedSlots, options.random);
      const delay = next.kind === "retry" ? next.delayMs : 0;
      if (next.kind === "move_on" || options.now() - options.started + delay >= policy.fallback.budgetMs) {
        options.onAttempt?.(route, index + 1 < routes.length ? "fell_back" : "failed");
        break;
      }
      options.onAttempt?.(route, "retried");
      if (next.kind === "other_key") {
        route = next.route;
        continue;
      }
      retries++;
      if (delay > 0) await waitOrAbort(delay, signal, options.timers ?? GLOBAL_TIMERS);
      if (signal.aborted) throw abortError(last.error, signal);
    }
  }
  throw exhausted();
}

/** Transport failures that happen before the request reached the server. */
const NEVER_SENT: ReadonlySet<string> = new Set(["connect_failed", "connect_timeout", "tls_failed"]);

const MOVE_ON = { kind: "move_on" } as const;

/** Operator keys one request may try on one route: its first and one other. */
const MAX_KEYS_PER_ROUTE = 2;

type NextStep =
  | { readonly kind: "move_on" }
  | { readonly kind: "other_key"; readonly route: Route }
  | { readonly kind: "retry"; readonly delayMs: number };

/**
 * After a failure that may move on: an operator key's 429 or 401 rests or removes that key and tries
 * one other key of the pool (at most one per request); a connection failure, a BYOK 429 with a short Retry-After or a 502/503/529 retries the
 * same route (capped exponential backoff, full jitter, a short Retry-After honoured); else the next route.
 */
function nextStep(
  route: Route,
  failure: AttemptFailure,
  retries: number,
  policy: AttemptPolicy,
  triedSlots: Set<number> | null,
  random: () => number = Math.random,
): NextStep {
  const { status } = failure;
  const keyed = route.operatorKey;
  if (keyed !== undefined && (status === 429 || status === 401)) {
    if (status === 429) keyed.pool.rateLimited(keyed.slot, failure.retryAfterMs);
    else keyed.pool.refused(keyed.slot);
    // One request rotates to at most one other key: a request-caused 429 cannot walk the whole pool.
    if (triedSlots !== null && triedSlots.size >= MAX_KEYS_PER_ROUTE) return MOVE_ON;
    const picked = keyed.pool.pick(triedSlots ?? undefined);
    if (picked === null) return MOVE_ON;
    return {
      kind: "other_key",
      route: { ...route, key: picked.key, operatorKey: { pool: keyed.pool, slot: picked.slot } },
    };
  }
  const { retry } = policy;
  if (retries >= retry.maxRetries) return MOVE_ON;
  const backoff = Math.floor(random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** retries));
  // The request never reached the server: safe to send again. A stall may be generating: the next route.
  if (status === null) return NEVER_SENT.has(failure.reason) ? { kind: "retry", delayMs: backoff } : MOVE_ON;
  if (status === 429 || status === 502 || status === 503 || status === 529) {
    const after = failure.retryAfterMs;
    if (after !== null) return after <= retry.maxRetryAfterMs ? { kind: "retry", delayMs: after } : MOVE_ON;
    return status === 429 ? MOVE_ON : { kind: "retry", delayMs: backoff };
  }
  return MOVE_ON;
}

/** Whether one more attempt may start: within the attempt budget and the time budget, the client still there. */
function mayStart(options: AttemptOptions, attempts: number): boolean {
  const { fallback } = options.policy;
  return (
    !options.signal.aborted &&
    attempts < fallback.maxAttempts &&
    options.now() - options.started < fallback.budgetMs
  );
}

/** Waits `ms`, or less when the signal aborts first; nothing stays armed either way. */
function waitOrAbort(ms: number, signal: AbortSignal, timers: BackoffTimers): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      timers.clearTimeout(handle);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const handle = timers.setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** The answer with `X-BYOK-Route` naming the failed attempts before it. */
function named<T extends Answer>(answer: T, route: Route, failed: readonly FailedAttempt[]): T {
  return { ...answer, headers: { ...answer.headers, "x-byok-route": formatRouteHeader(route, failed) } };
}

/** The last attempt's error (the cut's, when the call was cut), its `X-BYOK-Route` naming what failed before. */
function finalError(error: unknown, route: Route, failed: readonly FailedAttempt[]): unknown {
  if (!isGatewayError(error)) return error;
  return withHeaders(error, { "x-byok-route": formatRouteHeader(route, failed) });
}

function abortError(lastError: unknown, signal: AbortSignal): unknown {
  return isGatewayError(signal.reason) ? signal.reason : lastError;
}

function allSkipped(routes: readonly Route[]): GatewayError {
  return new GatewayError("upstream_error", {
    provider: routes[0]?.provider ?? "",
    code: "circuit_open",
    message:
      "Every route for this request is failing right now (its circuit breaker is open); try again shortly.",
  });
}
