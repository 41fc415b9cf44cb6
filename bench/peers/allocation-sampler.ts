/**
 * @module bench/peers/allocation-sampler
 * A preload for a measured process, as a `data:` URL (`--import=<ALLOCATION_SAMPLER_PRELOAD>`, with
 * `BENCH_ALLOCATION_PROFILE=<file>`): the first SIGUSR2 starts V8's sampling heap profiler (every
 * `BENCH_ALLOCATION_INTERVAL` bytes, 256 by default, objects already collected included), the second stops it
 * and writes the profile to that file. Plain JavaScript: a TypeScript preload would load Node's type stripper.
 */
const SOURCE = `
import { Session } from "node:inspector";
import { writeFileSync } from "node:fs";
const file = process.env.BENCH_ALLOCATION_PROFILE;
if (file !== undefined) {
  const session = new Session();
  session.connect();
  let sampling = false;
  const fail = (error) => error && process.emitWarning("allocation sampler: " + error.message);
  process.on("SIGUSR2", () => {
    if (!sampling) {
      sampling = true;
      session.post("HeapProfiler.startSampling", {
        samplingInterval: Number(process.env.BENCH_ALLOCATION_INTERVAL ?? 256),
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      }, fail);
      return;
    }
    sampling = false;
    session.post("HeapProfiler.stopSampling", (error, result) => {
      if (error) return fail(error);
      writeFileSync(file, JSON.stringify(result.profile));
    });
  });
}
`;

export const ALLOCATION_SAMPLER_PRELOAD = `data:text/javascript,${encodeURIComponent(SOURCE)}`;
