/**
 * @module egress/sum-pool-stats
 * The upstream pools' requests and sockets, summed per label (a scrape's work, never a request's).
 */
import type { Pool } from "undici";

/** The requests and sockets of every pool with one label, summed (read on a metrics scrape). */
export interface UpstreamPoolStats {
  readonly label: string;
  /** Pools (origins) open under this label. */
  readonly pools: number;
  readonly connected: number;
  readonly free: number;
  /** Requests being sent or answered on a socket. */
  readonly running: number;
  /** Requests handed to a socket that has not started them yet. */
  readonly pending: number;
  /** Requests waiting for a connection (every socket busy and the pool at its size). */
  readonly queued: number;
}

export interface LabelledPool {
  readonly label: string;
  readonly pool: Pool;
}

/** undici's counters of each pool, summed per label (a scrape's work, never a request's). */
export function sumPoolStats(entries: Iterable<LabelledPool>): UpstreamPoolStats[] {
  const byLabel = new Map<string, { -readonly [K in keyof UpstreamPoolStats]: UpstreamPoolStats[K] }>();
  for (const { label, pool } of entries) {
    const { connected, free, running, pending, queued } = pool.stats;
    const sum = byLabel.get(label);
    if (sum === undefined) byLabel.set(label, { label, pools: 1, connected, free, running, pending, queued });
    else {
      sum.pools++;
      sum.connected += connected;
      sum.free += free;
      sum.running += running;
      sum.pending += pending;
      sum.queued += queued;
    }
  }
  return [...byLabel.values()];
}
