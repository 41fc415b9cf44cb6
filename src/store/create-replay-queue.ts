/**
 * @module store/create-replay-queue
 * Work that failed and must still land (a settle, a durable copy): kept by id in order, replayed one round at
 * a time on a timer until it lands; bounded (oldest dropped), optionally aged out, and counted when given up.
 */

/** Why kept work was given up: the bound was reached, it waited too long, or it still failed at close. */
export type ReplayDropReason = "bound" | "age" | "close";

export interface ReplayQueueOptions<Item> {
  /** Applies one item; throws when it did not land (the round ends there and the item moves to the back). */
  readonly apply: (id: string, item: Item) => Promise<void>;
  /** Items kept beyond this many are dropped, oldest first. */
  readonly maxPending: number;
  /** How often a round runs while items wait. */
  readonly everyMs: number;
  /** Items kept longer than this (since first kept) are dropped instead of applied; default: never. */
  readonly maxAgeMs?: number;
  /** Items given up, and why. */
  readonly onDropped?: (count: number, reason: ReplayDropReason) => void;
  /** Items that landed in one round (reported once per round that landed some). */
  readonly onReplayed?: (count: number) => void;
  /** The clock for `maxAgeMs` (tests); default `Date.now`. */
  readonly now?: () => number;
}

export interface ReplayQueue<Item> {
  /** Items waiting for their replay. */
  readonly size: number;
  /** Keeps `item` under `id` (replacing an earlier one, moved to the back) and schedules a round. */
  keep(id: string, item: Item): void;
  /** One round now (also run by the timer); resolves when it ended, whatever it managed. */
  replay(): Promise<void>;
  /** Stops the timer, waits for a running round, runs one more, and drops what is still pending. */
  close(): Promise<void>;
}

interface Kept<Item> {
  readonly item: Item;
  readonly since: number;
}

export function createReplayQueue<Item>(options: ReplayQueueOptions<Item>): ReplayQueue<Item> {
  const now = options.now ?? Date.now;
  const pending = new Map<string, Kept<Item>>();
  let round: Promise<void> | null = null;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const schedule = () => {
    if (closed || timer !== undefined || pending.size === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      void replay();
    }, options.everyMs);
    timer.unref();
  };

  /** Oldest first; a failure moves that item to the back and ends the round (what it needs is likely away). */
  async function runRound(): Promise<void> {
    let landed = 0;
    let aged = 0;
    try {
      for (const [id, kept] of [...pending]) {
        if (pending.get(id) !== kept) continue; // kept again (or dropped) since the round began
        if (options.maxAgeMs !== undefined && now() - kept.since > options.maxAgeMs) {
          pending.delete(id);
          aged++;
          continue;
        }
        try {
          await options.apply(id, kept.item);
        } catch {
          if (pending.get(id) === kept) {
            pending.delete(id);
            pending.set(id, kept);
          }
          return;
        }
        if (pending.get(id) === kept) pending.delete(id);
        landed++;
      }
    } finally {
      if (aged > 0) options.onDropped?.(aged, "age");
      if (landed > 0) options.onReplayed?.(landed);
    }
  }

  function replay(): Promise<void> {
    round ??= runRound().finally(() => {
      round = null;
      schedule();
    });
    return round;
  }

  return {
    get size() {
      return pending.size;
    },
    keep(id, item) {
      if (closed) {
        // Nothing replays after close: what fails then is reported, never held in silence.
        options.onDropped?.(1, "close");
        return;
      }
      const since = pending.get(id)?.since ?? now();
      pending.delete(id);
      pending.set(id, { item, since });
      if (pending.size > options.maxPending) {
        const oldest = pending.keys().next().value as string;
        pending.delete(oldest);
        options.onDropped?.(1, "bound");
      }
      schedule();
    },
    replay,
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      await round;
      if (pending.size > 0) await replay();
      if (pending.size > 0) options.onDropped?.(pending.size, "close");
      pending.clear();
    },
  };
}
