/**
 * @module bench/proxy.bench
 * End-to-end cost of the gateway (docs/benchmarks.md): latency, throughput, streaming and memory of the real gateway
 * against a direct call and a bare undici proxy (the floor), all three measured in this one run.
 */
import { cpus, loadavg } from "node:os";
import {
  type Connection,
  checkTarget,
  connect,
  latencySamples,
  median,
  streamSamples,
  throughput,
} from "./http-load.ts";
import { startGatewayPeer } from "./peers/start-gateway-peer.ts";
import { type Peer, startPeer } from "./peers/start-peer.ts";
import {
  BARE_PROXY,
  DIRECT,
  emptyResult,
  GATEWAY,
  GATEWAY_BASELINE,
  GATEWAY_UNMETERED,
  printReport,
  type TargetResult,
} from "./proxy-report.ts";

const ROUNDS = 5; // every phase runs in rounds, targets interleaved, so drift on a shared machine hits all
const LATENCY_WARMUP = 1000;
const LATENCY_PER_ROUND = 600;
const CONCURRENCY = 64;
const THROUGHPUT_WARMUP_MS = 500;
const THROUGHPUT_WINDOW_MS = 1500;
const STREAM_WARMUP = 30;
const STREAMS_PER_ROUND = 60;

/** The targets, in report order, each started in front of the fake provider (direct: none). */
const TARGETS: readonly { readonly name: string; readonly start?: (fakeOrigin: string) => Promise<Peer> }[] =
  [
    { name: DIRECT },
    { name: BARE_PROXY, start: (fakeOrigin) => startPeer(BARE_PROXY, "./bare-proxy.ts", [fakeOrigin]) },
    // The built gateway, as operators run it (dist/main.js serve), not the TypeScript sources.
    { name: GATEWAY, start: (fakeOrigin) => startGatewayPeer(GATEWAY, fakeOrigin) },
    {
      name: GATEWAY_UNMETERED,
      start: (fakeOrigin) => startGatewayPeer(GATEWAY_UNMETERED, fakeOrigin, { metering: false }),
    },
    // BENCH_BASELINE_ROOT=<another checkout>: that build too, the before of a before/after in this one run
    // (started with BENCH_BASELINE_NODE_OPTIONS, by default the flag older builds left to the docs).
    ...(process.env.BENCH_BASELINE_ROOT === undefined
      ? []
      : [
          {
            name: GATEWAY_BASELINE,
            start: (fakeOrigin: string) =>
              startGatewayPeer(GATEWAY_BASELINE, fakeOrigin, {
                baseline: {
                  root: process.env.BENCH_BASELINE_ROOT!,
                  nodeOptions: process.env.BENCH_BASELINE_NODE_OPTIONS ?? "--max-semi-space-size=4",
                },
              }),
          },
        ]),
  ];

interface Entry {
  readonly connection: Connection;
  /** The process whose peak RSS is reported (the fake provider itself for the direct target). */
  readonly peer: Peer;
  readonly result: TargetResult;
}

/** Runs `work` for every entry, ROUNDS times, the order rotated each round so none always goes first. */
async function inRounds(entries: readonly Entry[], work: (entry: Entry) => Promise<void>): Promise<void> {
  for (let round = 0; round < ROUNDS; round++)
    for (let index = 0; index < entries.length; index++)
      await work(entries[(index + round) % entries.length]!);
}

async function startTargets(peers: Peer[]): Promise<Entry[]> {
  const fake = await startPeer("fake provider", "./fake-provider.ts");
  peers.push(fake);
  const started = await Promise.allSettled(
    TARGETS.map(async ({ start }) => (start ? start(fake.ready.origin) : fake)),
  );
  for (const outcome of started)
    if (outcome.status === "fulfilled" && outcome.value !== fake) peers.push(outcome.value);
  for (const outcome of started) if (outcome.status === "rejected") throw outcome.reason;
  return TARGETS.map(({ name }, index) => {
    const peer = (started[index] as PromiseFulfilledResult<Peer>).value;
    return { connection: connect({ name, ...peer.ready }, CONCURRENCY), peer, result: emptyResult(name) };
  });
}

async function measureAll(entries: readonly Entry[]): Promise<void> {
  for (const { peer, result } of entries) result.startRssKiB = await peer.maxRssKiB();
  for (const { connection } of entries) {
    const byokHeaders = await checkTarget(connection);
    if (byokHeaders.length > 0)
      console.log(`${connection.target.name} answers with ${byokHeaders.join(", ")}`);
  }

  for (const { connection } of entries) await latencySamples(connection, LATENCY_WARMUP);
  await inRounds(entries, async ({ connection, result }) => {
    const samples = await latencySamples(connection, LATENCY_PER_ROUND);
    result.latencyNs.push(...samples);
    result.latencyRoundMedians.push(median(samples));
  });
  await inRounds(entries, async ({ connection, peer, result }) => {
    const cpuBefore = peer.cpuMicros();
    const { rps, requests } = await throughput(
      connection,
      CONCURRENCY,
      THROUGHPUT_WARMUP_MS,
      THROUGHPUT_WINDOW_MS,
    );
    result.rps.push(rps);
    result.cpuMicrosPerRequest.push((peer.cpuMicros() - cpuBefore) / requests);
  });
  for (const { connection } of entries) await streamSamples(connection, STREAM_WARMUP);
  await inRounds(entries, async ({ connection, result }) => {
    const samples = await streamSamples(connection, STREAMS_PER_ROUND);
    result.ttfbNs.push(...samples.ttfbNs);
    result.ttfbRoundMedians.push(median(samples.ttfbNs));
    result.totalNs.push(...samples.totalNs);
  });
  for (const { peer, result } of entries) result.maxRssKiB = await peer.maxRssKiB();
}

const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");
const startedAt = performance.now();
console.log(
  `proxy bench: node ${process.version}, ${cpus().length} CPUs, load average ${load()}; ` +
    `${ROUNDS} rounds per phase, targets interleaved`,
);
const peers: Peer[] = [];
let entries: Entry[] = [];
try {
  entries = await startTargets(peers);
  await measureAll(entries);
  printReport(entries.map(({ result }) => result));
} catch (error) {
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : "";
  console.error(`proxy bench failed: ${error instanceof Error ? error.message : String(error)}${cause}`);
  process.exitCode = 1;
} finally {
  await Promise.all(entries.map(({ connection }) => connection.close()));
  await Promise.all(peers.map((peer) => peer.stop()));
}
console.log(`\n${((performance.now() - startedAt) / 1000).toFixed(1)} s, load average after ${load()}`);
