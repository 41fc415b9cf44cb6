/**
 * @module store/assert-counter-number
 * The argument check every quota counter implementation runs before any write: a counter is never
 * silently clamped or poisoned with NaN (a bad number is a programming error, a RangeError).
 */
import type { CounterReservation } from "./store-types.ts";

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

/** A reservation's arguments, checked alike by every implementation before it reserves anything. */
export function assertReservationArguments(
  id: string,
  reservations: readonly CounterReservation[],
  lease: { readonly now: number; readonly expiresAt: number },
): void {
  if (typeof id !== "string" || id === "") throw new RangeError("a reservation id is required");
  assertCounterNumber("now", lease.now, "finite");
  assertCounterNumber("expiresAt", lease.expiresAt, "finite");
  for (const reservation of reservations) {
    assertCounterNumber("amount", reservation.amount, "finite ≥ 0");
    assertCounterNumber("fit", reservation.fit, "finite ≥ 0");
    assertCounterNumber("limit", reservation.limit, "non-NaN");
  }
}
