/**
 * @module store/redis/create-quota-hold-keeper
 * This replica's side of the quota fence: the holds of its calls in flight, kept in memory from reserve to
 * settle (or lease end), and re-sent to Redis whenever Redis shows a new epoch (it lost its data) or lacks
 * this replica's newest hold (a failover to a copy that lagged), so that no replica admits against calls
 * Redis forgot; and Redis's eviction policy, which turns the fence off where any key may be evicted.
 * docs/plans-and-quotas.md, "Across replicas".
 */
import type { RedisConnection } from "./open-redis-connection.ts";
import { FENCE_STATE, QUOTA_FENCE_SCRIPTS, RESTORE_HOLD } from "./quota-fence-scripts.ts";

/** One reservation of a call: its reservations hash and the amount held there. */
export interface QuotaHold {
  readonly heldKey: string;
  readonly amount: number;
}

/** Holds put back: every live hold of this replica is in Redis again. */
export interface HoldsResentEvent {
  readonly epoch: string;
  readonly holds: number;
  /** `new-epoch`: Redis lost its data; `missing-hold`: the epoch stayed but this replica's newest hold was
   * gone (a failover to a copy that lagged behind). */
  readonly reason: "new-epoch" | "missing-hold";
}

/** Redis's `maxmemory-policy`, read at start and on every reconnect, reported when it differs from the last. */
export interface EvictionPolicyEvent {
  readonly policy: string;
  /** The policy reported before (absent at the first read). */
  readonly previous?: string;
  /** False under an `allkeys-*` policy: Redis may evict holds and counters, and the fence is off. */
  readonly exact: boolean;
}

export interface QuotaHoldKeeperOptions {
  readonly connection: RedisConnection;
  /** How long admissions wait after a new epoch for every replica's re-sends (0: not at all). */
  readonly graceMs: number;
  /** The clock Redis times leases by (`store`: its own; a re-sent hold is sent as the length it has left). */
  readonly clock: "store" | "caller";
  readonly indexKey: (id: string) => string;
  readonly settledKey: (id: string) => string;
  readonly onHoldsResent?: (event: HoldsResentEvent) => void;
  /** A re-send Redis did not take (it is tried again at the next check). */
  readonly onResendFailed?: (error: unknown) => void;
  readonly onEvictionPolicy?: (event: EvictionPolicyEvent) => void;
}

export interface QuotaHoldKeeper {
  /** The epoch and grace keys, appended to a reserve script's keys. */
  readonly fenceKeys: readonly [string, string];
  /** The grace a reserve passes now: `graceMs`, or 0 while Redis runs an `allkeys-*` eviction policy. */
  readonly graceMs: number;
  /** Bumped on every new epoch seen: a reserve sent before a bump may have landed in the old epoch. */
  readonly generation: number;
  /** A reserve of `id` succeeded (sent at `generation`): its holds are kept until settle or lease end. */
  held(id: string, holds: readonly QuotaHold[], lease: Lease, generation: number): void;
  /**
   * A renew of `id` is being sent: true when its hold lives here at `lease.now` (its end is moved to
   * `lease.expiresAt`); an ended one is forgotten.
   */
  renewing(id: string, lease: Lease): boolean;
  /** Puts `id`'s hold back now (Redis no longer had it); → its reservations held, 0 when settled or ended. */
  restore(id: string): Promise<number>;
  /** `id`'s settle landed: nothing of it is held any more. */
  forget(id: string): void;
  /** Redis answered with `epoch` (a fenced reserve, a check). */
  noteEpoch(epoch: string): void;
  /** Stops the checks and the status listener: nothing is sent to Redis from here on. */
  close(): void;
  /** The holds kept now (tests, metrics). */
  readonly size: number;
}

interface Lease {
  readonly now: number;
  readonly expiresAt: number;
}

interface LiveHold {
  readonly holds: Map<string, number>;
  expiresAt: number;
}

/** Holds re-sent at once (each one script): N holds never wait on the command timeout together. */
const RESEND_BATCH = 100;

export function createQuotaHoldKeeper(options: QuotaHoldKeeperOptions): QuotaHoldKeeper {
  const { connection, graceMs } = options;
  connection.preload(QUOTA_FENCE_SCRIPTS);
  const fenceKeys = [connection.fixedKey("quota-epoch"), connection.fixedKey("quota-fence")] as const;
  const live = new Map<string, LiveHold>();
  /**
   * The latest `lease.now` seen: this replica's clock, which its copies of the leases are read on (only
   * against each other here: a hold re-sent is sent as the length it has left, which Redis times by its own).
   */
  let clock = Number.NEGATIVE_INFINITY;
  let latest: string | undefined;
  /** The epoch in which every live hold is known to be in Redis. */
  let confirmed: string | undefined;
  let generation = 0;
  let resending = false;
  let closed = false;
  let fenceMs = graceMs;
  let policy: string | undefined;

  // While anything is held, Redis is asked for its epoch (and this replica's newest hold) often enough that
  // a loss is seen (and the holds re-sent) well within the grace, even by a replica that admits nothing.
  const checkEveryMs = graceMs > 0 ? Math.max(graceMs / 4, 10) : 1_000;
  let timer: NodeJS.Timeout | undefined;
  const startChecks = () => {
    if (timer !== undefined || closed) return;
    timer = setInterval(() => {
      prune();
      if (live.size === 0) {
        clearInterval(timer);
        timer = undefined;
        return;
      }
      void check();
    }, checkEveryMs);
    timer.unref();
  };

  /**
   * Under an `allkeys-*` policy Redis evicts any key under memory pressure, the epoch too: each eviction
   * would fence every user for the grace, again and again, while the holds and counters it also evicts
   * make quotas inexact anyway. So the fence is off there (holds are still re-sent on a new epoch). The
   * reserve scripts read the policy themselves when they find the epoch missing (quota-scripts.ts), so no
   * reserve waits for this read: it gives the warning, and the grace this replica's checks pass.
   */
  function readPolicy(): Promise<void> {
    return connection.info("memory").then(
      (text) => {
        const found = /^maxmemory_policy:(\S+)/m.exec(text)?.[1];
        if (found === undefined || closed) return;
        const exact = !found.startsWith("allkeys-");
        fenceMs = exact ? graceMs : 0;
        if (found === policy) return;
        const previous = policy;
        policy = found;
        options.onEvictionPolicy?.({ policy: found, exact, ...(previous ? { previous } : {}) });
      },
      () => undefined, // unknown: the fence stays as configured
    );
  }

  /** The newest live hold: its id and one of its reservations hashes (all were written in one script). */
  function newestHold(): { id: string; heldKey: string } | undefined {
    let newest: { id: string; heldKey: string } | undefined;
    for (const [id, hold] of live) newest = { id, heldKey: hold.holds.keys().next().value as string };
    return newest;
  }

  /** Reads (or creates) the epoch, and whether the newest hold is in Redis: a new epoch or a missing hold
   * starts the re-send. */
  async function check(): Promise<void> {
    if (closed) return;
    prune();
    const newest = newestHold();
    // Its settle marker too: a settle that ran in Redis but whose answer is still on its way is no loss.
    const keys =
      newest === undefined ? fenceKeys : [...fenceKeys, newest.heldKey, options.settledKey(newest.id)];
    const args = newest === undefined ? [fenceMs] : [fenceMs, connection.hash(newest.id)];
    try {
      const reply = (await connection.run(FENCE_STATE, keys, args)) as [string, number, number];
      if (closed) return;
      noteEpoch(String(reply[0]));
      if (Number(reply[2]) === 0 && newest !== undefined && live.has(newest.id) && !resending) {
        confirmed = undefined; // this epoch lacks holds of this replica
        void resendAll("missing-hold");
      }
    } catch {
      // Redis away: the next check, or the connection coming back, tries again.
    }
  }
  const stopStatus = connection.onStatus((status) => {
    if (status === "up") void readPolicy().then(check);
  });
  if (connection.status === "up") void readPolicy().then(check);

  function prune(): void {
    // The wall clock too: the callers' clock moves only when they pass times, and stands still while idle.
    const now = Math.max(clock, Date.now());
    for (const [id, hold] of live) if (hold.expiresAt <= now) live.delete(id);
  }

  function noteEpoch(epoch: string): void {
    if (closed) return;
    if (epoch !== latest) {
      // The first epoch learnt is no news: a reserve sent before it ran after the check that learnt it.
      if (latest !== undefined) generation += 1;
      latest = epoch;
    }
    if (epoch === confirmed) return;
    if (live.size === 0 && !resending) {
      confirmed = epoch;
      return;
    }
    void resendAll("new-epoch");
  }

  /**
   * Re-sends every live hold, a batch at a time, until all are in Redis in its latest epoch (or Redis
   * fails: the next check). A round under way is not started again: its loop sees `latest` move on.
   */
  async function resendAll(reason: HoldsResentEvent["reason"]): Promise<void> {
    if (resending || closed) return;
    resending = true;
    try {
      while (!closed && latest !== undefined && latest !== confirmed) {
        const epoch = latest;
        prune();
        const ids = [...live.keys()];
        for (let start = 0; start < ids.length && !closed; start += RESEND_BATCH) {
          const batch = ids.slice(start, start + RESEND_BATCH);
          const results = await Promise.allSettled(batch.map((id) => restore(id)));
          const failed = results.find((result) => result.status === "rejected");
          if (failed !== undefined) {
            options.onResendFailed?.(failed.reason);
            return; // `confirmed` unchanged: the next check sends them again
          }
        }
        if (epoch === latest && !closed) {
          confirmed = epoch;
          options.onHoldsResent?.({ epoch, holds: ids.length, reason });
        }
        reason = "new-epoch";
      }
    } finally {
      resending = false;
    }
  }

  async function restore(id: string): Promise<number> {
    const hold = live.get(id);
    if (hold === undefined || closed) return 0;
    const heldKeys = [...hold.holds.keys()];
    const reply = (await connection.run(
      RESTORE_HOLD,
      [...fenceKeys, options.settledKey(id), options.indexKey(id), ...heldKeys],
      [
        fenceMs,
        connection.hash(id),
        options.clock === "caller" ? String(clock) : "",
        String(hold.expiresAt - clock),
        ...heldKeys.map((key) => String(hold.holds.get(key))),
      ],
    )) as [string, string, number?];
    noteEpoch(String(reply[1]));
    if (reply[0] !== "restored") {
      live.delete(id);
      return 0;
    }
    return heldKeys.length;
  }

  return {
    fenceKeys,
    get graceMs() {
      return fenceMs;
    },
    get generation() {
      return generation;
    },
    get size() {
      return live.size;
    },
    held(id, holds, lease, sentAt) {
      if (closed) return;
      clock = Math.max(clock, lease.now);
      const entry = live.get(id) ?? { holds: new Map<string, number>(), expiresAt: lease.expiresAt };
      for (const { heldKey, amount } of holds) {
        if (amount > 0) entry.holds.set(heldKey, (entry.holds.get(heldKey) ?? 0) + amount);
      }
      if (entry.holds.size === 0) return;
      entry.expiresAt = Math.max(entry.expiresAt, lease.expiresAt);
      live.set(id, entry);
      startChecks();
      // Reserved in an epoch that has ended since (its answer crossed the news): put it back now.
      if (sentAt !== generation) void restore(id).catch((error: unknown) => options.onResendFailed?.(error));
    },
    renewing(id, lease) {
      clock = Math.max(clock, lease.now);
      const hold = live.get(id);
      if (hold === undefined) return false;
      if (hold.expiresAt <= lease.now) {
        live.delete(id);
        return false;
      }
      hold.expiresAt = Math.max(hold.expiresAt, lease.expiresAt);
      return true;
    },
    restore,
    forget(id) {
      live.delete(id);
    },
    noteEpoch,
    close() {
      closed = true;
      clearInterval(timer);
      timer = undefined;
      stopStatus();
      live.clear();
    },
  };
}
