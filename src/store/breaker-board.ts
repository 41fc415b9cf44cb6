/**
 * @module store/breaker-board
 * The circuit breakers' shared board (Redis: `redis/create-redis-breaker-board.ts`): each upstream's
 * failure count, cool-down and probe leases, and the notices that tell every replica a breaker moved.
 */

/** What counting one failure did on the board. */
export type BoardFailure =
  /** Still closed: the shared count of consecutive failures now. */
  | { readonly kind: "counted"; readonly failures: number }
  /** Open (`opened`: by this failure), for `remainingMs` more; every replica was told. */
  | { readonly kind: "open"; readonly remainingMs: number; readonly opened: boolean };

/** What asking for a half-open probe answered. */
export type BoardProbe =
  /** This replica holds a probe lease: it may send one attempt. */
  | { readonly kind: "probe" }
  /** Other replicas hold every lease: ask again later. */
  | { readonly kind: "busy" }
  /** Someone closed the breaker meanwhile. */
  | { readonly kind: "closed" }
  /** Still cooling down for `remainingMs` (this replica's clock ran ahead, or it re-opened). */
  | { readonly kind: "open"; readonly remainingMs: number };

/** An upstream as the board holds it; `remainingMs` null when closed, 0 when its cool-down is over. */
export interface BoardState {
  readonly upstream: string;
  readonly failures: number;
  readonly remainingMs: number | null;
}

/** A change another replica made, heard within milliseconds through pub/sub. */
export type BoardNotice =
  | { readonly upstream: string; readonly event: "open"; readonly remainingMs: number }
  | { readonly upstream: string; readonly event: "closed" }
  /** The shared count went from zero to one: a success anywhere should clear it. */
  | { readonly upstream: string; readonly event: "failing" };

export interface FailureRule {
  readonly threshold: number;
  readonly openMs: number;
  /** A failed probe: open again at once, whatever the count. */
  readonly reopen: boolean;
}

export interface BreakerBoard {
  /** Whether the command connection is up now (when down, the breakers skip the round trip). */
  readonly up: boolean;
  countFailure(upstream: string, rule: FailureRule): Promise<BoardFailure>;
  /** Clears the shared count of a closed breaker; an open one is left as it is and reported. */
  clearFailures(upstream: string): Promise<BoardState>;
  /** One probe lease of `leaseMs` among at most `max` across replicas, once the cool-down is over. */
  claimProbe(upstream: string, max: number, leaseMs: number): Promise<BoardProbe>;
  /** Closes the breaker for every replica (a probe succeeded, or an operator reset it). */
  reset(upstream: string): Promise<void>;
  read(upstreams: readonly string[]): Promise<BoardState[]>;
  /** Notices from other replicas (never this one's own); returns an unsubscribe. */
  onNotice(listener: (notice: BoardNotice) => void): () => void;
  /** The subscription was lost (`down`: notices may be missed) or is back (`up`). */
  onSubscription(listener: (status: "up" | "down") => void): () => void;
  close(): Promise<void>;
}
