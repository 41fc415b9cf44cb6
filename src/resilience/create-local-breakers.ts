/**
 * @module resilience/create-local-breakers
 * Circuit breakers kept in this process: `failureThreshold` consecutive failures open an upstream's
 * breaker for `openMs`, then up to `halfOpenProbes` probes at a time decide whether it closes or re-opens.
 */
import {
  type BreakerTransitionObserver,
  CLOSED,
  createBreakerTable,
  HALF_OPEN,
  OPEN,
  takeProbe,
} from "./breaker-table.ts";
import type { ResettableBreakers } from "./resettable-breakers.ts";

export interface BreakerSettings {
  readonly failureThreshold: number;
  readonly openMs: number;
  readonly halfOpenProbes: number;
}

export interface LocalBreakersOptions extends BreakerSettings {
  /** The clock in ms since the epoch; `Date.now` by default (tests move their own). */
  readonly now?: () => number;
  readonly onTransition?: BreakerTransitionObserver;
}

export function checkBreakerSettings(settings: BreakerSettings): void {
  const { failureThreshold, openMs, halfOpenProbes } = settings;
  if (!Number.isSafeInteger(failureThreshold) || failureThreshold < 1)
    throw new RangeError("failureThreshold must be a positive integer");
  if (!Number.isFinite(openMs) || openMs <= 0) throw new RangeError("openMs must be positive");
  if (!Number.isSafeInteger(halfOpenProbes) || halfOpenProbes < 1)
    throw new RangeError("halfOpenProbes must be a positive integer");
}

export function createLocalBreakers(options: LocalBreakersOptions): ResettableBreakers {
  checkBreakerSettings(options);
  const { failureThreshold, openMs, halfOpenProbes } = options;
  const now = options.now ?? Date.now;
  const table = createBreakerTable(now, options.onTransition);
  return {
    allow(upstream) {
      const entry = table.get(upstream);
      if (entry === undefined || entry.state === CLOSED) return true;
      const at = now();
      if (entry.state === OPEN) {
        if (at < entry.retryAt) return false;
        table.halfOpen(entry, halfOpenProbes);
      }
      return takeProbe(entry, at, openMs, halfOpenProbes);
    },
    succeeded(upstream) {
      const entry = table.get(upstream);
      if (entry === undefined) return;
      if (entry.state === HALF_OPEN) table.close(entry);
      else if (entry.state === CLOSED) entry.failures = 0;
      // Open: a late answer from an attempt let through before it opened decides nothing.
    },
    failed(upstream) {
      const entry = table.entry(upstream);
      if (entry.state === HALF_OPEN) return table.open(entry, openMs);
      entry.failures++;
      if (entry.state === CLOSED && entry.failures >= failureThreshold) table.open(entry, openMs);
    },
    snapshot: () => table.snapshot(),
    async reset(upstream) {
      const entry = table.get(upstream);
      if (entry !== undefined) table.close(entry);
      return { upstream, shared: false };
    },
    async close() {},
  };
}
