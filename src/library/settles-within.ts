/**
 * @module library/settles-within
 * Waits for a promise at most a given time (`Byok.close()` draining calls in flight before it cuts them).
 */

/** Resolves with true when `promise` settles within `ms`, else false (the timer never holds the process). */
export function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    timer.unref();
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
