/**
 * @module store/start-periodic-prune
 * Deletes rows older than a keep time on a timer (first a while after start, then every hour), batch by
 * batch with a pause between, so a backlog never holds the store or the event loop long; failures retry.
 */

export interface PeriodicPruneOptions {
  /** Deletes at most `maxRows` rows made before `before`; resolves with how many. */
  readonly prune: (before: number, maxRows: number) => Promise<number>;
  /** Rows older than this (ms before now) go. */
  readonly keepMs: number;
  readonly now?: () => number;
  /** The first round runs this long after start; default 600,000 ms (start-up and short runs are left alone). */
  readonly firstAfterMs?: number;
  /** Rounds after the first; default 3,600,000 ms. */
  readonly everyMs?: number;
  /**
   * Rows per statement; default 5,000. A store that deletes on the event loop (SQLite) passes a small one:
   * each statement stalls every request for as long as it runs.
   */
  readonly batch?: number;
  /** The pause between two statements of a round; default 10 ms (other work gets the loop and the store). */
  readonly pauseMs?: number;
  /** A round's deletions (reported when above 0). */
  readonly onPruned?: (count: number) => void;
  /** A round that failed (the next one tries again). */
  readonly onError?: (error: unknown) => void;
}

export interface PeriodicPrune {
  /** One round now (joins one under way): every row older than the keep time, batch by batch. */
  run(): Promise<number>;
  /** Stops the timer; a round under way stops after its batch, and is waited for. */
  close(): Promise<void>;
}

export function startPeriodicPrune(options: PeriodicPruneOptions): PeriodicPrune {
  const now = options.now ?? Date.now;
  const batch = options.batch ?? 5_000;
  if (!Number.isFinite(options.keepMs) || options.keepMs <= 0)
    throw new RangeError(`keepMs must be positive, got ${options.keepMs}`);
  let running: Promise<number> | null = null;
  let closed = false;

  async function round(): Promise<number> {
    const before = Math.floor(now() - options.keepMs);
    let total = 0;
    for (;;) {
      const deleted = await options.prune(before, batch);
      total += deleted;
      if (deleted < batch || closed) return total;
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs ?? 10)); // requests served between
    }
  }

  function run(): Promise<number> {
    running ??= round()
      .then(
        (count) => {
          if (count > 0) options.onPruned?.(count);
          return count;
        },
        (error: unknown) => {
          options.onError?.(error);
          return 0;
        },
      )
      .finally(() => {
        running = null;
      });
    return running;
  }

  let timer = setTimeout(function tick() {
    void run().finally(() => {
      if (closed) return;
      timer = setTimeout(tick, options.everyMs ?? 3_600_000);
      timer.unref();
    });
  }, options.firstAfterMs ?? 600_000);
  timer.unref();

  return {
    run,
    async close() {
      closed = true;
      clearTimeout(timer);
      await running;
    },
  };
}
