/**
 * @module bench/young-generation
 * The built gateway under different Node/V8 options, side by side: CPU per request, throughput and peak RSS at
 * 64 connections, rounds rotated (`node bench/young-generation.ts "--max-semi-space-size=4" "--max-semi-space-size=16"`).
 * `--node-args` first: each setting is Node's own command-line flags instead ("" for the start path's defaults,
 * `--heap-growing-percent=0`: V8 options NODE_OPTIONS refuses). BENCH_ROUNDS sets the rounds (6).
 */
import { fileURLToPath } from "node:url";
import { connect, median, throughput } from "./http-load.ts";
import { startGatewayPeer } from "./peers/start-gateway-peer.ts";
import { startPeer } from "./peers/start-peer.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const WINDOW_MS = 1500;
const nodeArgsMode = process.argv[2] === "--node-args";
const settings = process.argv.slice(nodeArgsMode ? 3 : 2);
if (settings.length === 0) throw new Error('usage: young-generation.ts "<NODE_OPTIONS>" …');
const root = fileURLToPath(new URL("..", import.meta.url));

const fake = await startPeer("fake provider", "./fake-provider.ts");
const targets = [];
try {
  for (const nodeOptions of settings) {
    const peer = await startGatewayPeer(
      `gateway ${nodeOptions}`,
      fake.ready.origin,
      nodeArgsMode
        ? { nodeArgs: nodeOptions.split(/\s+/).filter(Boolean) }
        : { baseline: { root, nodeOptions } },
    );
    targets.push({
      nodeOptions,
      peer,
      connection: connect({ name: nodeOptions, ...peer.ready }, 64),
      cpu: [] as number[],
      rps: [] as number[],
    });
  }
  for (const target of targets) await throughput(target.connection, 64, 0, 2000);
  for (let round = 0; round < ROUNDS; round++)
    for (let index = 0; index < targets.length; index++) {
      const target = targets[(index + round) % targets.length]!;
      const before = target.peer.cpuMicros();
      const { requests } = await throughput(target.connection, 64, 0, WINDOW_MS);
      target.cpu.push((target.peer.cpuMicros() - before) / requests);
      target.rps.push(requests / (WINDOW_MS / 1000));
    }
  console.log(
    `| ${nodeArgsMode ? "Node flags" : "NODE_OPTIONS"} | CPU µs/request (median) | req/s (median) | peak RSS |`,
  );
  console.log("|---|---:|---:|---:|");
  for (const target of targets) {
    const rss = (await target.peer.maxRssKiB()) / 1024;
    console.log(
      `| \`${target.nodeOptions}\` | ${median(target.cpu).toFixed(1)} | ${median(target.rps).toFixed(0)} | ${rss.toFixed(0)} MiB |`,
    );
  }
} finally {
  for (const target of targets) {
    await target.connection.close();
    await target.peer.stop();
  }
  await fake.stop();
}
