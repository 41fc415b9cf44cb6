/**
 * @module metering/period-window
 * Plan periods as UTC windows: where the current day or month started and when it resets.
 */

export type Period = "day" | "month";

export interface PeriodWindow {
  readonly start: number;
  /** When the next window starts (the limit resets). */
  readonly end: number;
}

export function periodWindow(period: Period, now: number): PeriodWindow {
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  if (period === "month") return { start: Date.UTC(year, month, 1), end: Date.UTC(year, month + 1, 1) };
  const day = date.getUTCDate();
  return { start: Date.UTC(year, month, day), end: Date.UTC(year, month, day + 1) };
}
