/**
 * @module resilience/circuit-breakers
 * What the attempt loop asks of the circuit breakers: may this upstream be tried now, and how did the
 * attempt end. One breaker per upstream (`upstreamOf`); the implementations are local or Redis-shared.
 */
import type { Route } from "../routing/route.ts";

export type BreakerState = "closed" | "open" | "half_open";

export interface BreakerSnapshot {
  /** `upstreamOf(route)`: `<connection>|<source>`. */
  readonly upstream: string;
  readonly state: BreakerState;
  /** Consecutive failures counted toward opening. */
  readonly failures: number;
  /** When an open breaker lets its half-open probe through (epoch ms); null when closed. */
  readonly retryAt: number | null;
}

export interface CircuitBreakers {
  /**
   * Whether an attempt on `upstream` may go now, answered from local state (no I/O on the request path):
   * true when closed; false while open; in half-open, true for one probe at a time.
   */
  allow(upstream: string): boolean;
  /** The attempt got an answer that says nothing against the upstream (2xx, or a 4xx that is the request's or the key's). */
  succeeded(upstream: string): void;
  /** The attempt failed in a way that counts against the upstream (connect failure, stall, 5xx, overload). */
  failed(upstream: string): void;
  /** Every breaker that has state (admin API, /metrics). */
  snapshot(): readonly BreakerSnapshot[];
  close(): Promise<void>;
}

/** No breakers: every upstream is always allowed (the default until breakers are configured). */
export const NO_BREAKERS: CircuitBreakers = {
  allow: () => true,
  succeeded: () => {},
  failed: () => {},
  snapshot: () => [],
  close: async () => {},
};

/**
 * The breaker a route's attempts count toward: its connection and whose key (`openai|byok`,
 * `azure-eu|operator`); none for the user's own custom endpoint (one user's endpoint never trips another's).
 */
export function upstreamOf(route: Pick<Route, "connection" | "source" | "guarded">): string | null {
  return route.guarded ? null : `${route.connection}|${route.source}`;
}
