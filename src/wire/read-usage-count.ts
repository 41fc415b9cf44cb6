/**
 * @module wire/read-usage-count
 * One token count of a provider's `usage` object as the gateway reads it everywhere (metering, metrics, a
 * translated answer): floored, and a huge count read as the cap, never as nothing.
 */

/**
 * The most tokens one count of one call may report: far above any context window or embeddings batch,
 * far below where sums lose precision or overflow (an upstream's `1e308` must not reach metering or metrics).
 */
export const MAX_USAGE_TOKENS = 1_000_000_000;

/**
 * A count as metering charges it: a finite number from 0 up, floored, and at most `MAX_USAGE_TOKENS` (a huge
 * count is charged as the cap: reading it as 0 would let an upstream make a call free); anything else
 * (absent, negative, not a number) is `absent`, for the reader to decide (0, or the value already read).
 */
export function meteredUsageCount<T>(value: unknown, absent: T): number | T {
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) return absent;
  return value >= MAX_USAGE_TOKENS ? MAX_USAGE_TOKENS : Math.floor(value);
}
