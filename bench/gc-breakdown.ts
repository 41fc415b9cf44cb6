/**
 * @module bench/gc-breakdown
 * Where the floor and the gateway spend CPU at 64 connections, by thread (main against V8's workers), with their
 * scavenges and pauses per 1000 requests: `node bench/gc-breakdown.ts [gateway NODE_OPTIONS]` (docs/benchmarks.md).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect, throughput } from "./http-load.ts";
import { startGatewayPeer } from "./peers/start-gateway-peer.ts";
import { startPeer } from "./peers/start-peer.ts";

const ROUNDS = 4;
const WINDOW_MS = 2000;
const preload = `--import=${fileURLToPath(new URL("./peers/gc-log.ts", import.meta.url))}`;
const logDir = mkdtempSync(join(tmpdir(), "byok-gc-"));
process.env.BENCH_GC_LOG = join(logDir, "%p.log");

/** CPU µs of a process's main thread and of all its other threads (V8's platform workers, libuv's pool). */
function threadMicros(pid: number): { main: number; workers: number } {
  let main = 0;
  let workers = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const micros = (Number(fields[11]) + Number(fields[12])) * 10_000;
    if (Number(task) === pid) main += micros;
    else workers += micros;
  }
  return { main, workers };
}

type GcTotals = { minor: { n: number; ms: number }; major: { n: number; ms: number } };

/** The process's GC totals as last logged. */
function gcTotals(pid: number): GcTotals {
  const line = readFileSync(join(logDir, `${pid}.log`), "utf8")
    .trimEnd()
    .split("\n")
    .at(-1)!;
  return JSON.parse(line.slice(line.indexOf(" ") + 1)) as GcTotals;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 300)); // one log line after the window

const fake = await startPeer("fake provider", "./fake-provider.ts");
process.env.NODE_OPTIONS = preload;
const floor = await startPeer("bare proxy", "./bare-proxy.ts", [fake.ready.origin]);
delete process.env.NODE_OPTIONS;
const gatewayOptions = process.argv[2] ?? "--max-semi-space-size=4";
const gateway = await startGatewayPeer("gateway", fake.ready.origin, {
  baseline: {
    root: fileURLToPath(new URL("..", import.meta.url)),
    nodeOptions: `${gatewayOptions} ${preload}`,
  },
});
const targets = [
  { name: "bare proxy (Node's defaults)", peer: floor },
  { name: `gateway (${gatewayOptions})`, peer: gateway },
].map((target) => ({ ...target, connection: connect({ name: target.name, ...target.peer.ready }, 64) }));
try {
  for (const target of targets) await throughput(target.connection, 64, 0, 2000);
  const sums = targets.map(() => ({
    requests: 0,
    main: 0,
    workers: 0,
    minor: 0,
    minorMs: 0,
    major: 0,
    majorMs: 0,
  }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const index of round % 2 === 0 ? [0, 1] : [1, 0]) {
      const { peer, connection } = targets[index]!;
      await settle();
      const [cpu, gc] = [threadMicros(peer.pid!), gcTotals(peer.pid!)];
      const { requests } = await throughput(connection, 64, 0, WINDOW_MS);
      await settle();
      const [cpuAfter, gcAfter] = [threadMicros(peer.pid!), gcTotals(peer.pid!)];
      const sum = sums[index]!;
      sum.requests += requests;
      sum.main += cpuAfter.main - cpu.main;
      sum.workers += cpuAfter.workers - cpu.workers;
      sum.minor += gcAfter.minor.n - gc.minor.n;
      sum.minorMs += gcAfter.minor.ms - gc.minor.ms;
      sum.major += gcAfter.major.n - gc.major.n;
      sum.majorMs += gcAfter.major.ms - gc.major.ms;
    }
  }
  console.log(
    "| process | main thread µs/request | other threads µs/request | scavenges per 1000 requests | scavenge pause µs/request | major GCs per 1000 requests | major pause µs/request |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  targets.forEach(({ name }, index) => {
    const s = sums[index]!;
    const per = (value: number) => (value / s.requests).toFixed(1);
    const perThousand = (value: number) => ((1000 * value) / s.requests).toFixed(2);
    console.log(
      `| ${name} | ${per(s.main)} | ${per(s.workers)} | ${perThousand(s.minor)} | ${per(1000 * s.minorMs)} | ${perThousand(s.major)} | ${per(1000 * s.majorMs)} |`,
    );
  });
} finally {
  for (const target of targets) await target.connection.close();
  await gateway.stop();
  await floor.stop();
  await fake.stop();
  rmSync(logDir, { recursive: true, force: true });
}
