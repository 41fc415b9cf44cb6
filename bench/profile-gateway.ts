/**
 * @module bench/profile-gateway
 * A CPU profile of the built gateway under the proxy bench's 64-connection load (BYOK-served chat completions):
 * `node bench/profile-gateway.ts [seconds] [--streams] [--metering-off]`, then the summary by area, file and function
 * (start-up excluded). `--metering-off`: the bench's "metering off" gateway (no usage records, no rate limits).
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, streamSamples, throughput } from "./http-load.ts";
import { startGatewayPeer } from "./peers/start-gateway-peer.ts";
import { startPeer } from "./peers/start-peer.ts";

const seconds = Number(process.argv[2] ?? 10);
/** `--streams`: sequential 50-chunk streams at concurrency 1 (the first-byte figure) instead of 64 connections. */
const streams = process.argv.includes("--streams");
const metering = !process.argv.includes("--metering-off");
const profileDir = mkdtempSync(join(tmpdir(), "byok-profile-"));
process.env.BENCH_GATEWAY_NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${profileDir}`;
const fake = await startPeer("fake provider", "./fake-provider.ts");
let fromMicros = 0;
try {
  const gateway = await startGatewayPeer("gateway", fake.ready.origin, { metering });
  const connection = connect({ name: "gateway", ...gateway.ready }, 64);
  try {
    if (streams) await streamSamples(connection, 500);
    else await throughput(connection, 64, 0, 2000); // warm-up: compiled and optimized before the window
    fromMicros = Number(process.hrtime.bigint() / 1000n);
    const cpuBefore = gateway.cpuMicros();
    const started = Date.now();
    let requests = 0;
    if (streams) {
      while (Date.now() - started < seconds * 1000)
        requests += (await streamSamples(connection, 100)).ttfbNs.length;
    } else requests = (await throughput(connection, 64, 0, seconds * 1000)).requests;
    const rps = requests / ((Date.now() - started) / 1000);
    const perRequest = (gateway.cpuMicros() - cpuBefore) / requests;
    console.log(`${rps.toFixed(0)} req/s, ${perRequest.toFixed(0)} µs CPU per request (profiler on)`);
  } finally {
    await connection.close();
    await gateway.stop();
  }
} finally {
  await fake.stop();
}
// The last file: the start path's re-execution (process.execve) leaves a short profile of the first image.
const profile = readdirSync(profileDir)
  .filter((name) => name.endsWith(".cpuprofile"))
  .sort()
  .at(-1);
if (profile === undefined) throw new Error(`no profile written in ${profileDir}`);
const { spawnSync } = await import("node:child_process");
spawnSync(
  process.execPath,
  [
    new URL("./summarize-cpu-profile.ts", import.meta.url).pathname,
    join(profileDir, profile),
    "--from-us",
    `${fromMicros}`,
  ],
  { stdio: "inherit" },
);
if (process.env.BENCH_KEEP_PROFILE === undefined) rmSync(profileDir, { recursive: true, force: true });
else console.log(`profile kept: ${join(profileDir, profile)} (the window: --from-us ${fromMicros})`);
