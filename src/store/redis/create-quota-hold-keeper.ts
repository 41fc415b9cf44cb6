/**
 * @module store/redis/create-quota-hold-keeper
 * This replica's side of the quota fence: the holds of its calls in flight, kept in memory from reserve to
 * settle (or lease end), and re-sent to Redis whenever Redis shows a new epoch (it lost its data), so that
 * no replica admits against calls Redis forgot. docs/plans-and-quotas.md, "Across replicas".
 */
import type { RedisConnection } from "./open-redis-connection.ts";
import { FENCE_STATE, QUOTA_FENCE_SCRIPTS, RESTORE_HOLD } from "./quota-fence-scripts.ts";

/** One reservation of a call: its reservations hash and the amount held there. */
export interface QuotaHold {
  readonly heldKey: string;
  readonly amount: number;
}

/** Holds put back after Redis showed a new epoch: every live hold of this replica is in Redis again. */
export interface HoldsResentEvent {
  readonly epoch: string;
  readonly holds: number;
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
}

export interface QuotaHoldKeeper {
  /** The epoch and grace keys, appended to a reserve script's keys. */
  readonly fenceKeys: readonly [string, string];
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
  /** The epoch whose re-send is under way. */
  let resendingEpoch: string | undefined;

  // While anything is held, Redis is asked for its epoch often enough that a loss is seen (and the holds
  // re-sent) well within the grace, even by a replica that admits nothing meanwhile.
  const checkEveryMs = graceMs > 0 ? Math.max(graceMs / 4, 10) : 1_000;
  let timer: NodeJS.Timeout | undefined;
  const startChecks = () => {
    if (timer !== undefined) return;
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

  /** Reads (or creates) the epoch; a new one starts the re-send. */
  async function check(): Promise<void> {
    try {
      const reply = (await connection.run(FENCE_STATE, fenceKeys, [graceMs])) as [string, number];
      noteEpoch(String(reply[0]));
    } catch {
      // Redis away: the next check, or the connection coming back, tries again.
    }
  }
  connection.onStatus((status) => {
    if (status === "up") void check();
  });
  if (connection.status === "up") void check();

  function prune(): void {
    for (const [id, hold] of live) if (hold.expiresAt <= clock) live.delete(id);
  }

  function noteEpoch(epoch: string): void {
    if (epoch !== latest) {
      // The first epoch learnt is no news: a reserve sent before it ran after the check that learnt it.
      if (latest !== undefined) generation += 1;
      latest = epoch;
    }
    if (epoch === confirmed || epoch === resendingEpoch) return;
    if (live.size === 0 && resendingEpoch === undefined) {
      confirmed = epoch;
      return;
    }
    void resendAll();
  }

  /** Re-sends every live hold until all are in Redis in its latest epoch (or Redis fails: next check). */
  async function resendAll(): Promise<void> {
    if (resendingEpoch !== undefined) return; // the loop below sees `latest` move on
    try {
      while (latest !== undefined && latest !== confirmed) {
        const epoch = latest;
        resendingEpoch = epoch;
        prune();
        const ids = [...live.keys()];
        const results = await Promise.allSettled(ids.map((id) => restore(id)));
        const failed = results.find((result) => result.status === "rejected");
        if (failed !== undefined) {
          options.onResendFailed?.(failed.reason);
          return; // `confirmed` unchanged: the next check sends them again
        }
        if (epoch === latest) {
          confirmed = epoch;
          options.onHoldsResent?.({ epoch, holds: ids.length });
        }
      }
    } finally {
      resendingEpoch = undefined;
    }
  }

  async function restore(id: string): Promise<number> {
    const hold = live.get(id);
    if (hold === undefined) return 0;
    const heldKeys = [...hold.holds.keys()];
    const reply = (await connection.run(
      RESTORE_HOLD,
      [...fenceKeys, options.settledKey(id), options.indexKey(id), ...heldKeys],
      [
        graceMs,
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
    get generation() {
      return generation;
    },
    get size() {
      return live.size;
    },
    held(id, holds, lease, sentAt) {
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
  };
}
