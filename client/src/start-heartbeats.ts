/**
 * @module client/start-heartbeats
 * Keeps an enrollment alive while the app runs: the next heartbeat well before `expiresAt`, backoff on failure.
 */
import { ByokClientError } from "./byok-client-error.ts";
import type { EnrollmentStatus } from "./gateway-types.ts";

/** The timer functions the scheduler uses (tests inject their own). */
export interface HeartbeatTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface HeartbeatOptions {
  /** Send the first heartbeat at once (default true); otherwise after `maxIntervalMs`. */
  immediate?: boolean;
  /** The longest wait between heartbeats (default 12 hours). */
  maxIntervalMs?: number;
  /** The shortest wait after a success (default 60 seconds). */
  minIntervalMs?: number;
  /** The first retry's wait after a failure (default 5 seconds), doubling up to `retryMaxMs`. */
  retryInitialMs?: number;
  /** The longest wait between retries (default 5 minutes), a `Retry-After` included. */
  retryMaxMs?: number;
  /** Every renewed status. */
  onStatus?: (status: EnrollmentStatus) => void;
  /** Every failure; `willRetry` false means the scheduler stopped (a 4xx such as 401 or 404). */
  onError?: (error: unknown, willRetry: boolean) => void;
  timers?: HeartbeatTimers;
  now?: () => number;
  /** In [0, 1): spreads retries of many clients apart (default Math.random). */
  random?: () => number;
}

/** Browsers fire a longer timeout at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** A failure worth retrying: the gateway unreachable, a time-out, rate-limited, or failing (5xx). */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof ByokClientError)) return true;
  return error.status === 0 || error.status === 408 || error.status === 429 || error.status >= 500;
}

/** The wait after a success: half the time left before `expiresAt`, within [min, max]. */
export function nextHeartbeatDelay(
  status: EnrollmentStatus,
  now: number,
  minIntervalMs: number,
  maxIntervalMs: number,
): number {
  const expiresAt = Date.parse(status.expiresAt ?? "");
  if (Number.isNaN(expiresAt)) return maxIntervalMs;
  return Math.min(maxIntervalMs, Math.max(minIntervalMs, (expiresAt - now) / 2));
}

/**
 * The wait before retrying a failure: the jittered backoff, never sooner than a `Retry-After` but never
 * longer than `retryMaxMs` (a huge `Retry-After` must not outlast the enrollment), and, while the last
 * known `expiresAt` is ahead, at most half the time left (not below `retryInitialMs`).
 */
export function nextRetryDelay(
  backoffMs: number,
  retryAfterMs: number,
  timeLeftMs: number,
  retryInitialMs: number,
  retryMaxMs: number,
): number {
  const wait = Math.max(backoffMs, Math.min(retryAfterMs, retryMaxMs));
  if (!(timeLeftMs > 0)) return wait;
  return Math.min(wait, Math.max(retryInitialMs, timeLeftMs / 2));
}

/** Runs `heartbeat` on that schedule until the returned function is called. */
export function startHeartbeats(
  heartbeat: () => Promise<EnrollmentStatus>,
  options: HeartbeatOptions = {},
): () => void {
  const timers: HeartbeatTimers = options.timers ?? {
    setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
    clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const maxIntervalMs = options.maxIntervalMs ?? 12 * 60 * 60 * 1000;
  const minIntervalMs = options.minIntervalMs ?? 60 * 1000;
  const retryInitialMs = options.retryInitialMs ?? 5000;
  const retryMaxMs = options.retryMaxMs ?? 5 * 60 * 1000;
  let stopped = false;
  let failures = 0;
  let handle: unknown;
  /** The last renewed status's `expiresAt` (NaN until one is known). */
  let expiresAt = Number.NaN;

  const schedule = (ms: number) => {
    if (!stopped) handle = timers.setTimeout(beat, Math.min(MAX_TIMER_MS, Math.max(0, ms)));
  };

  async function beat(): Promise<void> {
    handle = undefined;
    try {
      const status = await heartbeat();
      if (stopped) return;
      failures = 0;
      expiresAt = Date.parse(status.expiresAt ?? "");
      options.onStatus?.(status);
      schedule(nextHeartbeatDelay(status, now(), minIntervalMs, maxIntervalMs));
    } catch (error) {
      if (stopped) return;
      const retry = isRetryable(error);
      if (!retry) stopped = true;
      options.onError?.(error, retry);
      if (!retry) return;
      failures += 1;
      const ceiling = Math.min(retryMaxMs, retryInitialMs * 2 ** (failures - 1));
      const retryAfterMs = error instanceof ByokClientError ? (error.retryAfterSeconds ?? 0) * 1000 : 0;
      const backoffMs = ceiling / 2 + (random() * ceiling) / 2;
      schedule(nextRetryDelay(backoffMs, retryAfterMs, expiresAt - now(), retryInitialMs, retryMaxMs));
    }
  }

  schedule(options.immediate === false ? maxIntervalMs : 0);
  return () => {
    stopped = true;
    if (handle !== undefined) timers.clearTimeout(handle);
    handle = undefined;
  };
}
