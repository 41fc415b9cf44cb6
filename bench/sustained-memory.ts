/**
 * @module bench/sustained-memory
 * Peak RSS under sustained load: the built gateway with each set of Node flags alone for a long 64-connection
 * window, alternated (`node bench/sustained-memory.ts "" "--heap-growing-percent=0"`; "" is the start path's own).
 */
import { connect, median, throughput } from "./http-load.ts";
import { startGatewayPeer } from "./peers/start-gateway-peer.ts";
import { startPeer } from "./peers/start-peer.ts";

/** Seconds of load per window: long enough for the old generation to reach its first full collections. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 25);
/** Windows per variant, in alternating order (forwards, then backwards, …). */
const REPEAT = Number(process.env.BENCH_REPEAT ?? 2);
const variants = process.argv.slice(2);
if (variants.length === 0)
  throw new Error('usage: sustained-memory.ts "<node flags>" … ("" = the start path\'s)');

interface Window {
  readonly cpu: number;
  readonly rps: number;
  readonly peakMiB: number;
}

const fake = await startPeer("fake provider", "./fake-provider.ts");
const windows = new Map<string, Window[]>(variants.map((variant) => [variant, []]));
try {
  for (let pass = 0; pass < REPEAT; pass++) {
    for (const variant of pass % 2 === 0 ? variants : [...variants].reverse()) {
      // A fresh process per window: its peak is its own, from start-up to the end of this load.
      const peer = await startGatewayPeer(`gateway ${variant || "(start path)"}`, fake.ready.origin, {
        nodeArgs: variant.split(/\s+/).filter(Boolean),
      });
      const connection = connect({ name: variant, ...peer.ready }, 64);
      try {
        const before = peer.cpuMicros();
        const { requests } = await throughput(connection, 64, 0, SECONDS * 1000);
        windows.get(variant)!.push({
          cpu: (peer.cpuMicros() - before) / requests,
          rps: requests / SECONDS,
          peakMiB: (await peer.maxRssKiB()) / 1024,
        });
      } finally {
        await connection.close();
        await peer.stop();
      }
    }
  }
} finally {
  await fake.stop();
}

console.log(`${SECONDS} s of 64 connections per window, ${REPEAT} windows per variant, alternated\n`);
console.log("| Node flags | peak RSS per window | CPU µs/request (median) | req/s (median) |");
console.log("|---|---|---:|---:|");
for (const [variant, rows] of windows) {
  const peaks = rows.map((row) => `${row.peakMiB.toFixed(0)} MiB`).join(", ");
  const cpu = median(rows.map((row) => row.cpu)).toFixed(0);
  const rps = median(rows.map((row) => row.rps)).toFixed(0);
  console.log(`| \`${variant || "(the start path's defaults)"}\` | ${peaks} | ${cpu} | ${rps} |`);
}
