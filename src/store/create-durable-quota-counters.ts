/**
 * @module store/create-durable-quota-counters
 * A durable store's quota counters as the gateway uses them (SQLite or PostgreSQL): a settle that fails is
 * replayed until it lands (bounded, counted once through its marker), and ended leases and old markers are swept.
 */
import type { CounterSettlement, QuotaCounterRepository } from "./store-types.ts";

export interface DurableQuotaCountersOptions {
  /** Failed settles waiting to be replayed beyond this many are dropped, oldest first; default 10,000. */
  readonly maxPendingSettles?: number;
  /** Settles dropped (the bound, or still failing at close): their usage is missing from the quota. */
  readonly onSettleDropped?: (count: number) => void;
  /** How often failed settles are replayed while some wait; default 1,000 ms. */
  readonly replayEveryMs?: number;
  /** How often ended leases and old settle markers are swept; default 60,000 ms. */
  readonly sweepEveryMs?: number;
}

export interface DurableQuotaCounters extends QuotaCounterRepository {
  /** Failed settles waiting for their replay. */
  readonly pendingSettles: number;
  /** One replay round now (also run by the timer); resolves when it ended, whatever it managed. */
  replaySettles(): Promise<void>;
  /** Stops the timers, replays once more, and reports what is still pending as dropped. */
  close(): Promise<void>;
}

/**
 * Wraps `counters` (not the durable copy behind the Redis counters: those replay their own settles and
 * never settle here). Without the replay, a settle lost to a blip would leave the call's usage uncounted
 * and its hold on the quota until its lease ends.
 */
export function createDurableQuotaCounters(
  counters: QuotaCounterRepository,
  options: DurableQuotaCountersOptions = {},
): DurableQuotaCounters {
  const maxPending = options.maxPendingSettles ?? 10_000;
  const replayEveryMs = options.replayEveryMs ?? 1_000;
  const pending = new Map<string, readonly CounterSettlement[]>();
  let replaying: Promise<void> | null = null;
  let replayTimer: NodeJS.Timeout | undefined;
  let closed = false;

  const sweepTimer = setInterval(
    () => void counters.sweepExpired(Date.now()).catch(() => undefined),
    options.sweepEveryMs ?? 60_000,
  );
  sweepTimer.unref();

  const scheduleReplay = () => {
    if (closed || replayTimer !== undefined || pending.size === 0) return;
    replayTimer = setTimeout(() => {
      replayTimer = undefined;
      void replaySettles();
    }, replayEveryMs);
    replayTimer.unref();
  };

  /** Oldest first; a failure moves that settle to the back and ends the round (the store is likely away). */
  async function replayRound(): Promise<void> {
    for (const [id, settlements] of [...pending]) {
      try {
        await counters.settle(id, settlements, { replay: true });
      } catch {
        if (pending.get(id) === settlements) {
          pending.delete(id);
          pending.set(id, settlements);
        }
        return;
      }
      if (pending.get(id) === settlements) pending.delete(id);
    }
  }

  function replaySettles(): Promise<void> {
    replaying ??= replayRound().finally(() => {
      replaying = null;
      scheduleReplay();
    });
    return replaying;
  }

  const keepForReplay = (id: string, settlements: readonly CounterSettlement[]) => {
    pending.delete(id);
    pending.set(id, settlements);
    if (pending.size > maxPending) {
      const oldest = pending.keys().next().value as string;
      pending.delete(oldest);
      options.onSettleDropped?.(1);
    }
    scheduleReplay();
  };

  return {
    ...counters,
    get pendingSettles() {
      return pending.size;
    },
    async settle(id, settlements, settleOptions) {
      try {
        await counters.settle(id, settlements, settleOptions);
      } catch (error) {
        // A refused argument is the caller's bug, never replayed; any other failure may be a blip.
        if (!(error instanceof RangeError)) keepForReplay(id, settlements);
        throw error; // reported by the caller; the replay makes it count, once
      }
    },
    replaySettles,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweepTimer);
      clearTimeout(replayTimer);
      replayTimer = undefined;
      await replaying;
      if (pending.size > 0) await replayRound();
      if (pending.size > 0) options.onSettleDropped?.(pending.size);
      pending.clear();
    },
  };
}
