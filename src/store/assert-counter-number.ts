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

/** The longest lease a store takes (2^31 - 1 ms, a timer's range). */
export const MAX_LEASE_MS = 2_147_483_647;

/** A reservation's arguments, checked alike by every implementation before it reserves anything. */
export function assertReservationArguments(
  id: string,
  reservations: readonly CounterReservation[],
  lease: { readonly now: number; readonly expiresAt: number },
): void {
  if (typeof id !== "string" || id === "") throw new RangeError("a reservation id is required");
  assertCounterNumber("now", lease.now, "finite");
  assertCounterNumber("expiresAt", lease.expiresAt, "finite");
  // A shared store reads only the lease's length: one that is not positive would hold nothing, and one past
  // a timer's range (about 24.8 days; the configuration allows 24 h) would leave a hold Redis cannot expire.
  const length = lease.expiresAt - lease.now;
  if (!(length > 0 && length <= MAX_LEASE_MS))
    throw new RangeError(`a lease's length must be above 0 and at most ${MAX_LEASE_MS} ms, got ${length}`);
  for (const reservation of reservations) {
    assertCounterNumber("amount", reservation.amount, "finite ≥ 0");
    assertCounterNumber("fit", reservation.fit, "finite ≥ 0");
    assertCounterNumber("limit", reservation.limit, "non-NaN");
  }
}
