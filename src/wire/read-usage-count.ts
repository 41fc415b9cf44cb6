/**
 * @module wire/read-usage-count
 * One token count of a provider's `usage` object, or null when it is not a believable count.
 */

/**
 * The most tokens one count of one call may report: far above any context window or embeddings batch,
 * far below where sums lose precision or overflow (an upstream's `1e308` must not reach metering or metrics).
 */
export const MAX_USAGE_TOKENS = 1_000_000_000;

/** A whole number from 0 to `MAX_USAGE_TOKENS`; anything else (fractional, negative, huge, not a number) is null. */
export function readUsageCount(value: unknown): number | null {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 && value <= MAX_USAGE_TOKENS
    ? value
    : null;
}
