/**
 * @module bench/request-phases
 * Where a request's wall-clock time goes inside the gateway at concurrency 1 (docs/benchmarks.md): a plain
 * chat completion and a 50-chunk stream, each phase's median from Node's and undici's diagnostics channels
 * (bench/peers/phase-log.ts, preloaded): `node bench/request-phases.ts [requests per kind]`.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect, latencySamples, median, streamSamples } from "./http-load.ts";
import { startGatewayPeer } from "./peers/start-gateway-peer.ts";
import { startPeer } from "./peers/start-peer.ts";

const count = Number(process.argv[2] ?? 600);
const dir = mkdtempSync(join(tmpdir(), "byok-phases-"));
const log = join(dir, "phases.json");
process.env.BENCH_PHASE_LOG = log;
process.env.BENCH_GATEWAY_NODE_OPTIONS = `--max-semi-space-size=4 --import=${fileURLToPath(new URL("./peers/phase-log.ts", import.meta.url))}`;
const fake = await startPeer("fake provider", "./fake-provider.ts");
try {
  const gateway = await startGatewayPeer("gateway", fake.ready.origin);
  const connection = connect({ name: "gateway", ...gateway.ready }, 1);
  try {
    await latencySamples(connection, 300); // warm-up
    await streamSamples(connection, 300);
    const rows: string[] = [];
    for (const kind of ["plain", "stream"] as const) {
      const client =
        kind === "plain"
          ? median(await latencySamples(connection, count))
          : median((await streamSamples(connection, count)).ttfbNs);
      const { phases } = JSON.parse(readFileSync(log, "utf8")) as { phases: { what: string; us: number }[] };
      rows.push(
        `| ${kind} (client: ${kind === "plain" ? "whole answer" : "first byte"} ${(client / 1000).toFixed(0)} µs) | ${phases.map((phase) => phase.us.toFixed(0)).join(" | ")} |`,
      );
    }
    const { phases } = JSON.parse(readFileSync(log, "utf8")) as { phases: { what: string }[] };
    console.log(`| request, concurrency 1 | ${phases.map((phase) => phase.what).join(" | ")} |`);
    console.log(`|---|${phases.map(() => "---:").join("|")}|`);
    for (const row of rows) console.log(row);
  } finally {
    await connection.close();
    await gateway.stop();
  }
} finally {
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
}
