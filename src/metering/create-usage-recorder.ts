/**
 * @module metering/create-usage-recorder
 * The batched usage writer: `record()` only queues (never on the response path's clock), batches are
 * appended on a timer, when full, and on close; failed batches stay queued, bounded by dropping the oldest.
 */
import { checkUsageRecord } from "../store/check-usage-record.ts";
import type { UsageRecord, UsageRepository } from "../store/store-types.ts";

export interface UsageRecorderOptions {
  readonly usage: UsageRepository;
  /** How often queued records are written; default 1000. */
  readonly flushIntervalMs?: number;
  /** Records per append, and a write starts (on the next turn of the event loop) once this many wait; default 500. */
  readonly maxBatch?: number;
  /** At most this many records wait while the store fails (plus one batch in flight); the oldest go first. Default 100_000. */
  readonly maxQueued?: number;
  /**
   * A failed append (its records stay queued), or records discarded: `dropped` counts those discarded since
   * the last report (beyond `maxQueued`, or invalid records refused by `record()`). Never throws into the recorder.
   */
  readonly onError?: (error: unknown, dropped: number) => void;
}

export interface UsageRecorder {
  /** Queues one record: synchronous, O(1), never throws, never awaits, never writes in the caller's turn. */
  record(record: UsageRecord): void;
  /**
   * Writes everything queued, one append per batch of `maxBatch`, until the queue is empty or an append
   * fails (then the rest waits for the next flush; the failure goes to `onError`). Never rejects; a flush
   * called while one runs joins it, so nothing is written twice.
   */
  flush(): Promise<void>;
  /**
   * Stops the timer and flushes. Records queued after close are kept (never lost, never written on their
   * own): a later `flush()` or `close()` writes them.
   */
  close(): Promise<void>;
  /** Records not yet written: queued plus in flight. */
  readonly queued: number;
}

/** The queue's consumed prefix is cut off once it is this long and at least half of the array. */
const COMPACT_AFTER = 1024;

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a whole number ≥ 1, got ${String(value)}`);
  }
  return value;
}

export function createUsageRecorder(options: UsageRecorderOptions): UsageRecorder {
  const { usage } = options;
  const flushIntervalMs = positiveInteger("flushIntervalMs", options.flushIntervalMs ?? 1000);
  const maxBatch = positiveInteger("maxBatch", options.maxBatch ?? 500);
  const maxQueued = positiveInteger("maxQueued", options.maxQueued ?? 100_000);
  /** A full queue starts a write even when maxBatch is larger than maxQueued. */
  const writeAt = Math.min(maxBatch, maxQueued);

  // The queue is `items[head…]`: O(1) push and drop-oldest; the consumed prefix holds no references and
  // is cut off once it is the larger half, so the array stays under twice the bound.
  let items: Array<UsageRecord | undefined> = [];
  let head = 0;
  let inFlight = 0;
  let dropped = 0;
  let draining: Promise<void> | null = null;
  /** After a failed append, only the timer or an explicit flush retries (a failing store is not hammered). */
  let failing = false;
  let writeScheduled = false;
  let closed = false;

  const size = () => items.length - head;

  const report = (error: unknown) => {
    const count = dropped;
    dropped = 0;
    try {
      options.onError?.(error, count);
    } catch {
      // A throwing hook must not break recording.
    }
  };

  const dropOldest = (count: number) => {
    for (let index = 0; index < count; index += 1) items[head + index] = undefined;
    head += count;
    dropped += count;
    compact();
  };

  const compact = () => {
    if (head >= COMPACT_AFTER && head * 2 >= items.length) {
      items = items.slice(head);
      head = 0;
    }
  };

  const takeBatch = (): UsageRecord[] => {
    // Everything from `head` on is a record; only the consumed prefix holds `undefined`.
    const batch = items.slice(head, head + maxBatch) as UsageRecord[];
    head += batch.length;
    if (head === items.length) {
      items = [];
      head = 0;
    } else compact();
    return batch;
  };

  /** A failed batch goes back in front of what arrived meanwhile; the bound then drops the oldest. */
  const putBack = (batch: UsageRecord[]) => {
    items = [...batch, ...items.slice(head)];
    head = 0;
    if (items.length > maxQueued) dropOldest(items.length - maxQueued);
    compact();
  };

  async function drain(): Promise<void> {
    while (size() > 0) {
      const batch = takeBatch();
      inFlight = batch.length;
      try {
        await usage.append(batch);
      } catch (error) {
        inFlight = 0;
        putBack(batch);
        failing = true;
        report(error);
        return;
      }
      inFlight = 0;
      failing = false;
    }
    if (dropped > 0) report(new RangeError(`usage queue over its bound of ${maxQueued} records`));
  }

  const flush = (): Promise<void> => {
    draining ??= drain().finally(() => {
      draining = null;
    });
    return draining;
  };

  const scheduleWrite = () => {
    if (writeScheduled || closed || failing || draining !== null) return;
    writeScheduled = true;
    setImmediate(() => {
      writeScheduled = false;
      if (!closed && !failing) void flush();
    });
  };

  const timer = setInterval(() => {
    if (size() > 0 || dropped > 0) void flush();
  }, flushIntervalMs);
  timer.unref();

  return {
    record(record) {
      try {
        const check = checkUsageRecord(record);
        if (!check.ok) {
          // Refused here rather than poisoning a batch that would then fail at every retry.
          dropped += 1;
          report(new TypeError(`usage record refused: ${check.field} ${check.reason}`));
          return;
        }
        if (size() >= maxQueued) dropOldest(size() - maxQueued + 1);
        items.push(record);
        if (size() >= writeAt) scheduleWrite();
      } catch (error) {
        report(error);
      }
    },
    flush,
    async close() {
      closed = true;
      clearInterval(timer);
      await flush();
    },
    get queued() {
      return size() + inFlight;
    },
  };
}
