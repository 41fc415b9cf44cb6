/**
 * @module bench/peers/gc-log
 * Preloaded into a measured process (`NODE_OPTIONS=--import=<this file>`, with `BENCH_GC_LOG=<file>`): appends
 * its running garbage-collection totals (count and pause ms, minor and major) to that file every 250 ms.
 */
import { appendFileSync } from "node:fs";
import { constants, PerformanceObserver } from "node:perf_hooks";

const file = process.env.BENCH_GC_LOG?.replace("%p", `${process.pid}`);
if (file !== undefined) {
  const totals = { minor: { n: 0, ms: 0 }, major: { n: 0, ms: 0 } };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      const sum = kind === constants.NODE_PERFORMANCE_GC_MINOR ? totals.minor : totals.major;
      sum.n++;
      sum.ms += entry.duration;
    }
  }).observe({ entryTypes: ["gc"] });
  setInterval(() => appendFileSync(file, `${Date.now()} ${JSON.stringify(totals)}\n`), 250).unref();
}
