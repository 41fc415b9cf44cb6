/**
 * @module store/assert-counter-number
 * The argument check every quota counter implementation runs before any write: a counter is never
 * silently clamped or poisoned with NaN (a bad number is a programming error, a RangeError).
 */

export function assertCounterNumber(
  name: string,
  value: number,
  range: "finite" | "finite ≥ 0" | "non-NaN",
): void {
  const valid =
    typeof value === "number" &&
    !Number.isNaN(value) &&
    (range === "non-NaN" || Number.isFinite(value)) &&
    (range !== "finite ≥ 0" || value >= 0);
  if (!valid) throw new RangeError(`${name} must be a ${range} number, got ${String(value)}`);
}
