/**
 * @module metering/round-meter-amount
 * Amounts as the API shows them: requests and tokens are whole numbers, audio seconds are kept to the
 * millisecond, so sums of fractional seconds never show float artefacts (61.135999999999996 → 61.136).
 */

/** Rounds a meter's amount to the millisecond (whole numbers pass unchanged). */
export function roundMeterAmount(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Usage-over-time rows with their audio seconds rounded like every other amount. */
export function roundUsageSeries<Row extends { readonly audioSeconds: number }>(rows: readonly Row[]): Row[] {
  return rows.map((row) => ({ ...row, audioSeconds: roundMeterAmount(row.audioSeconds) }));
}
