/**
 * @module test/support/manual-timers
 * Timers a test fires by hand (`setTimeout`/`clearTimeout` shaped), so schedules are checked without waiting.
 */

export interface ManualTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** The delays of the timers still pending, in the order they were set. */
  pending(): number[];
  /** Runs the one pending timer and answers its delay. */
  fireOnly(): number;
}

export function createManualTimers(): ManualTimers {
  let next = 0;
  const timers = new Map<number, { callback: () => void; ms: number }>();
  return {
    setTimeout(callback, ms) {
      next += 1;
      timers.set(next, { callback, ms });
      return next;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    pending: () => [...timers.values()].map((timer) => timer.ms),
    fireOnly() {
      if (timers.size !== 1) throw new Error(`expected one pending timer, found ${timers.size}`);
      const [[id, timer]] = [...timers.entries()] as [[number, { callback: () => void; ms: number }]];
      timers.delete(id);
      timer.callback();
      return timer.ms;
    },
  };
}

/** A queue of callback events a test awaits one by one. */
export function createEventQueue<T>(): { push(event: T): void; next(): Promise<T> } {
  const ready: T[] = [];
  const waiting: Array<(event: T) => void> = [];
  return {
    push(event) {
      const waiter = waiting.shift();
      if (waiter) waiter(event);
      else ready.push(event);
    },
    next() {
      const event = ready.shift();
      if (event !== undefined) return Promise.resolve(event);
      return new Promise((resolve) => waiting.push(resolve));
    },
  };
}
