/**
 * @module bench/request-phases
 * Where a request's wall-clock time goes inside the gateway at concurrency 1 (docs/benchmarks.md): a plain
 * chat completion and a 50-chunk stream, each phase's median from Node's and undici's diagnostics channels
 * (bench/peers/phase-log.ts, preloaded): `node bench/request-phases.ts [requests per kind] [--all]`; `--all`
 * measures the floor and the bench's minimal gateway (with and without the gateway's stream tap) first.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect, latencySamples, median, streamSamples } from "./http-load.ts";
import { startGatewayPeer } from "./peers/start-gateway-peer.ts";
import { type Peer, startPeer } from "./peers/start-peer.ts";

const count = Number(process.argv[2] ?? 600);
/** `--all`: the floor and the bench's minimal gateway (with and without the gateway's stream tap) as well. */
const all = process.argv.includes("--all");
const dir = mkdtempSync(join(tmpdir(), "byok-phases-"));
const preload = fileURLToPath(new URL("./peers/phase-log.ts", import.meta.url));
process.env.BENCH_GATEWAY_NODE_OPTIONS = `--max-semi-space-size=4 --import=${preload}`;

type Start = (fakeOrigin: string) => Promise<Peer>;
/** A bench peer with the phase log preloaded (and `env` set while it starts). */
const peerWith =
  (name: string, file: string, env: Record<string, string> = {}): Start =>
  async (fakeOrigin) => {
    const saved = { ...process.env };
    Object.assign(process.env, env, { NODE_OPTIONS: `--import=${preload}` });
    try {
      return await startPeer(name, file, [fakeOrigin]);
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    }
  };
const targets: { readonly name: string; readonly start: Start }[] = [
  ...(all
    ? [
        { name: "bare proxy", start: peerWith("bare proxy", "./bare-proxy.ts") },
        { name: "minimal gateway", start: peerWith("minimal gateway", "./minimal-gateway.ts") },
        {
          name: "minimal + stream tap",
          start: peerWith("minimal + stream tap", "./minimal-gateway.ts", { BENCH_MINIMAL_TAP: "1" }),
        },
      ]
    : []),
  { name: "gateway", start: (fakeOrigin) => startGatewayPeer("gateway", fakeOrigin) },
];

/** The phase log's medians, once the target wrote them (it rewrites the file every 100 requests). */
async function phasesOf(log: string): Promise<{ what: string; us: number }[]> {
  for (let attempt = 0; ; attempt++) {
    try {
      return (JSON.parse(readFileSync(log, "utf8")) as { phases: { what: string; us: number }[] }).phases;
    } catch (error) {
      if (attempt >= 20) throw error; // read while being rewritten: read again
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const fake = await startPeer("fake provider", "./fake-provider.ts");
const rows: string[] = [];
let header: string[] = [];
try {
  for (const [index, target] of targets.entries()) {
    const log = join(dir, `phases-${index}.json`);
    process.env.BENCH_PHASE_LOG = log;
    const peer = await target.start(fake.ready.origin);
    const connection = connect({ name: target.name, ...peer.ready }, 1);
    try {
      await latencySamples(connection, 300); // warm-up
      await streamSamples(connection, 300);
      for (const kind of ["plain", "stream"] as const) {
        const client =
          kind === "plain"
            ? median(await latencySamples(connection, count))
            : median((await streamSamples(connection, count)).ttfbNs);
        const phases = await phasesOf(log);
        header = phases.map((phase) => phase.what);
        rows.push(
          `| ${target.name}, ${kind} (client: ${kind === "plain" ? "whole answer" : "first byte"} ${(client / 1000).toFixed(0)} µs) | ${phases.map((phase) => phase.us.toFixed(0)).join(" | ")} |`,
        );
      }
    } finally {
      await connection.close();
      await peer.stop();
    }
  }
  console.log(`| request, concurrency 1 | ${header.join(" | ")} |`);
  console.log(`|---|${header.map(() => "---:").join("|")}|`);
  for (const row of rows) console.log(row);
} finally {
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
}
