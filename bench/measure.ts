/**
 * @module bench/measure
 * Runs a case several times and reports the median time per operation (ns), so noisy machines still compare.
 */

export interface Measurement {
  readonly name: string;
  readonly medianNs: number;
  readonly runsNs: readonly number[];
}

export async function measure(
  name: string,
  operations: number,
  runs: number,
  work: () => unknown,
): Promise<Measurement> {
  for (let i = 0; i < Math.min(operations, 2000); i++) await work();
  const runsNs: number[] = [];
  for (let run = 0; run < runs; run++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < operations; i++) await work();
    runsNs.push(Number(process.hrtime.bigint() - start) / operations);
  }
  const sorted = [...runsNs].sort((a, b) => a - b);
  return { name, medianNs: sorted[Math.floor(sorted.length / 2)]!, runsNs };
}

export function report(title: string, baseline: Measurement, cases: readonly Measurement[]): void {
  console.log(`\n${title}`);
  console.log(`${"case".padEnd(58)} ${"median".padStart(10)}  vs baseline`);
  for (const entry of [baseline, ...cases]) {
    const ratio =
      entry === baseline ? "1.00x (baseline)" : `${(entry.medianNs / baseline.medianNs).toFixed(2)}x`;
    console.log(
      `${entry.name.padEnd(58)} ${`${(entry.medianNs / 1000).toFixed(2)} µs`.padStart(10)}  ${ratio}`,
    );
  }
}
