/**
 * @module resilience/breaker-table
 * The breakers' state per upstream and its transitions (closed → open → half-open → closed or open again),
 * told to an observer once each; the local and the Redis-shared breakers both keep their state here.
 */
import type { BreakerSnapshot, BreakerState } from "./circuit-breakers.ts";

/** The states as numbers, as `byok_circuit_breaker_state` shows them. */
export const CLOSED = 0;
export const HALF_OPEN = 1;
export const OPEN = 2;
type StateCode = typeof CLOSED | typeof HALF_OPEN | typeof OPEN;
const STATE_NAMES: readonly BreakerState[] = ["closed", "half_open", "open"];

/** One upstream's breaker; mutated in place so a closed breaker's checks allocate nothing. */
export interface BreakerEntry {
  readonly upstream: string;
  state: StateCode;
  /** Consecutive failures counted toward opening (the shared count when on Redis). */
  failures: number;
  /** Open: when a half-open probe may go (epoch ms). */
  retryAt: number;
  /** Half-open: probes that may still start now. */
  permits: number;
  /** Half-open: when the last probe started (a probe never reported frees its permit after a lease). */
  probeAt: number;
  /** Redis-shared only: another replica counted failures, so this replica's next success clears them. */
  sharedFailures: boolean;
  /** Redis-shared only: a probe claim is on its way to Redis. */
  claiming: boolean;
}

/** Told once per transition, with the state entered (metrics, logs). */
export type BreakerTransitionObserver = (upstream: string, to: BreakerState) => void;

export interface BreakerTable {
  get(upstream: string): BreakerEntry | undefined;
  /** The upstream's entry, created closed when it has none. */
  entry(upstream: string): BreakerEntry;
  /** Opens (or keeps open) until `now + ms`. */
  open(entry: BreakerEntry, ms: number): void;
  halfOpen(entry: BreakerEntry, permits: number): void;
  close(entry: BreakerEntry): void;
  entries(): IterableIterator<BreakerEntry>;
  snapshot(): BreakerSnapshot[];
}

export function createBreakerTable(
  now: () => number,
  onTransition?: BreakerTransitionObserver,
): BreakerTable {
  const entries = new Map<string, BreakerEntry>();
  const enter = (entry: BreakerEntry, state: StateCode) => {
    if (entry.state === state) return;
    entry.state = state;
    onTransition?.(entry.upstream, STATE_NAMES[state]!);
  };
  return {
    get: (upstream) => entries.get(upstream),
    entry(upstream) {
      let entry = entries.get(upstream);
      if (entry === undefined) {
        entry = {
          upstream,
          state: CLOSED,
          failures: 0,
          retryAt: 0,
          permits: 0,
          probeAt: 0,
          sharedFailures: false,
          claiming: false,
        };
        entries.set(upstream, entry);
      }
      return entry;
    },
    open(entry, ms) {
      entry.retryAt = now() + Math.max(0, ms);
      entry.permits = 0;
      enter(entry, OPEN);
    },
    halfOpen(entry, permits) {
      entry.permits = permits;
      enter(entry, HALF_OPEN);
    },
    close(entry) {
      entry.failures = 0;
      entry.permits = 0;
      entry.sharedFailures = false;
      enter(entry, CLOSED);
    },
    entries: () => entries.values(),
    snapshot: () =>
      [...entries.values()].map((entry) => ({
        upstream: entry.upstream,
        state: STATE_NAMES[entry.state]!,
        failures: entry.failures,
        retryAt: entry.state === CLOSED ? null : entry.retryAt,
      })),
  };
}

/**
 * Half-open: lets a probe through while permits remain. A probe that never reported (its attempt was
 * abandoned) gives its permit back after `leaseMs`, so a breaker cannot stay half-open forever.
 */
export function takeProbe(entry: BreakerEntry, now: number, leaseMs: number, permits: number): boolean {
  if (entry.permits === 0 && now - entry.probeAt >= leaseMs) entry.permits = permits;
  if (entry.permits === 0) return false;
  entry.permits--;
  entry.probeAt = now;
  return true;
}
