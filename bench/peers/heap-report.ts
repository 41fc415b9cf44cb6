/**
 * @module bench/peers/heap-report
 * A preload for a measured process, as a `data:` URL (`node --expose-gc --import=<HEAP_REPORT_PRELOAD>`, with
 * `BENCH_HEAP_REPORT=<file>`): on SIGUSR2 it collects garbage twice and appends what the process then holds (V8
 * heap, external memory, RSS, whether Node's own undici is loaded) to that file. Plain JavaScript, not a .ts file:
 * a TypeScript preload would load Node's type stripper into the process it measures.
 */
const SOURCE = `
import { appendFileSync, readFileSync } from "node:fs";
const file = process.env.BENCH_HEAP_REPORT;
function report() {
  globalThis.gc?.();
  globalThis.gc?.();
  const { heapUsed, heapTotal, external } = process.memoryUsage();
  const rssKiB = Number(/VmRSS:\\s+(\\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]);
  const bundledUndici = process.moduleLoadList.some((name) => name.includes("deps/undici"));
  appendFileSync(file, JSON.stringify({ heapUsed, heapTotal, external, rssKiB, bundledUndici }) + "\\n");
}
if (file !== undefined) {
  process.on("SIGUSR2", () => {
    try {
      report();
    } catch (error) {
      // The process keeps serving; the bench's deadline names the missing report.
      process.emitWarning("heap report failed: " + error.message);
    }
  });
}
`;

export const HEAP_REPORT_PRELOAD = `data:text/javascript,${encodeURIComponent(SOURCE)}`;
