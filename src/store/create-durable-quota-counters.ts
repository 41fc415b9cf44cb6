/**
 * @module store/create-durable-quota-counters
 * A durable store's quota counters as the gateway uses them (SQLite or PostgreSQL): a settle that fails is
 * replayed until it lands (bounded, counted once through its marker), and ended leases and old markers are swept.
 */
import { createReplayQueue } from "./create-replay-queue.ts";
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
 * Wraps `counters`. Without the replay, a settle lost to a blip would leave the call's usage uncounted and
 * its hold on the quota until its lease ends. A settle its caller marks as a `replay` is one that caller
 * replays itself (the Redis counters' durable copies): it is passed on, never kept here as well.
 */
export function createDurableQuotaCounters(
  counters: QuotaCounterRepository,
  options: DurableQuotaCountersOptions = {},
): DurableQuotaCounters {
  const queue = createReplayQueue<readonly CounterSettlement[]>({
    apply: (id, settlements) => counters.settle(id, settlements, { replay: true }),
    maxPending: options.maxPendingSettles ?? 10_000,
    everyMs: options.replayEveryMs ?? 1_000,
    ...(options.onSettleDropped ? { onDropped: options.onSettleDropped } : {}),
  });

  const sweepTimer = setInterval(
    () => void counters.sweepExpired(Date.now()).catch(() => undefined),
    options.sweepEveryMs ?? 60_000,
  );
  sweepTimer.unref();

  return {
    ...counters,
    get pendingSettles() {
      return queue.size;
    },
    async settle(id, settlements, settleOptions) {
      try {
        await counters.settle(id, settlements, settleOptions);
      } catch (error) {
        // A refused argument is the caller's bug, never replayed; any other failure may be a blip.
        if (!(error instanceof RangeError) && settleOptions?.replay !== true) queue.keep(id, settlements);
        throw error; // reported by the caller; the replay makes it count, once
      }
    },
    replaySettles: () => queue.replay(),
    async close() {
      clearInterval(sweepTimer);
      await queue.close();
    },
  };
}
