/**
 * @module bench/minimal-gateway.bench
 * What the SPEC's required per-request work costs (docs/benchmarks.md, "What the required work costs"): the
 * floor proxy, a minimal gateway doing only that work (bench/peers/minimal-gateway.ts), the same with the
 * gateway's own stream tap (normalization, key redaction, usage) and the built gateway,
 * measured in rounds with the targets interleaved, each round's figures divided by the same round's floor.
 * `npm run bench -- minimal-gateway` (BENCH_ROUNDS, default 7).
 */
import { connect, latencySamples, median, streamSamples, throughput } from "./http-load.ts";
import { startGatewayPeer } from "./peers/start-gateway-peer.ts";
import { type Peer, startPeer } from "./peers/start-peer.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const CONCURRENCY = 64;
const WINDOW_MS = 1500;
const LATENCY_PER_ROUND = 300;
const STREAMS_PER_ROUND = 60;

interface Figures {
  cpu: number[];
  latency: number[];
  firstByte: number[];
}

const fake = await startPeer("fake provider", "./fake-provider.ts");
const peers: Peer[] = [];
try {
  peers.push(await startPeer("bare proxy", "./bare-proxy.ts", [fake.ready.origin]));
  peers.push(await startPeer("minimal gateway", "./minimal-gateway.ts", [fake.ready.origin]));
  process.env.BENCH_MINIMAL_TAP = "1";
  peers.push(await startPeer("minimal + stream tap", "./minimal-gateway.ts", [fake.ready.origin]));
  delete process.env.BENCH_MINIMAL_TAP;
  peers.push(await startGatewayPeer("gateway", fake.ready.origin));
  const direct = connect({ name: "direct", ...fake.ready }, 1);
  const targets = peers.map((peer) => ({
    peer,
    connection: connect({ name: peer.name, ...peer.ready }, CONCURRENCY),
    figures: { cpu: [], latency: [], firstByte: [] } as Figures,
  }));
  try {
    for (const { connection } of targets) {
      await throughput(connection, CONCURRENCY, 0, 2000);
      await latencySamples(connection, 1000);
      await streamSamples(connection, 100);
    }
    for (let round = 0; round < ROUNDS; round++) {
      // What the targets add is measured against the direct call of the same round.
      const directLatency = median(await latencySamples(direct, LATENCY_PER_ROUND));
      const directFirstByte = median((await streamSamples(direct, STREAMS_PER_ROUND)).ttfbNs);
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const { peer, connection, figures } of order) {
        const before = peer.cpuMicros();
        const { requests } = await throughput(connection, CONCURRENCY, 0, WINDOW_MS);
        figures.cpu.push((peer.cpuMicros() - before) / requests);
        figures.latency.push(median(await latencySamples(connection, LATENCY_PER_ROUND)) - directLatency);
        const { ttfbNs } = await streamSamples(connection, STREAMS_PER_ROUND);
        figures.firstByte.push(median(ttfbNs) - directFirstByte);
      }
    }
  } finally {
    await direct.close();
    await Promise.all(targets.map(({ connection }) => connection.close()));
  }

  const floor = targets[0]!.figures;
  /** The median over rounds of each round's figure divided by the same round's floor. */
  const ratio = (values: number[], base: number[]) =>
    median(values.map((value, index) => value / base[index]!)).toFixed(2);
  console.log(
    `\n${ROUNDS} rounds, targets interleaved; medians over the rounds, and each round ÷ the same round's floor\n`,
  );
  console.log(
    "| target | CPU per request at 64 connections | added latency, concurrency 1 | added first streamed byte |",
  );
  console.log("|---|---:|---:|---:|");
  for (const { peer, figures } of targets) {
    const cpu = `${median(figures.cpu).toFixed(1)} µs (${ratio(figures.cpu, floor.cpu)}x)`;
    const latency = `${(median(figures.latency) / 1000).toFixed(0)} µs (${ratio(figures.latency, floor.latency)}x)`;
    const firstByte = `${(median(figures.firstByte) / 1000).toFixed(0)} µs (${ratio(figures.firstByte, floor.firstByte)}x)`;
    console.log(`| ${peer.name} | ${cpu} | ${latency} | ${firstByte} |`);
  }
  const [, minimal, , gateway] = targets;
  console.log(
    `\ngateway ÷ minimal gateway, round by round: CPU ${ratio(gateway!.figures.cpu, minimal!.figures.cpu)}x, ` +
      `added latency ${ratio(gateway!.figures.latency, minimal!.figures.latency)}x, ` +
      `added first byte ${ratio(gateway!.figures.firstByte, minimal!.figures.firstByte)}x`,
  );
} finally {
  await Promise.all(peers.map((peer) => peer.stop()));
  await fake.stop();
}
