/**
 * @module bench/idle-heap
 * What a serving gateway holds once garbage is collected, idle after start and again after 3 s of 64 connections:
 * `node bench/idle-heap.ts [<checkout> …]` (default: this one), each built and started as operators start it.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect, median, throughput } from "./http-load.ts";
import { HEAP_REPORT_PRELOAD } from "./peers/heap-report.ts";
import { startGatewayPeer } from "./peers/start-gateway-peer.ts";
import { startPeer } from "./peers/start-peer.ts";

const roots =
  process.argv.length > 2 ? process.argv.slice(2) : [fileURLToPath(new URL("..", import.meta.url))];
/** Starts per checkout, alternated (the figures are medians). */
const STARTS = Number(process.env.BENCH_STARTS ?? 3);

interface Report {
  readonly heapUsed: number;
  readonly external: number;
  readonly rssKiB: number;
  readonly bundledUndici: boolean;
}

const dir = mkdtempSync(join(tmpdir(), "byok-idle-heap-"));
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fake = await startPeer("fake provider", "./fake-provider.ts");
const results = new Map<string, { idle: Report; loaded: Report }[]>(roots.map((root) => [root, []]));
try {
  for (let start = 0; start < STARTS; start++) {
    for (const root of start % 2 === 0 ? roots : [...roots].reverse()) {
      const file = join(dir, `${start}-${roots.indexOf(root)}.jsonl`);
      process.env.BENCH_HEAP_REPORT = file;
      const peer = await startGatewayPeer(`gateway ${root}`, fake.ready.origin, {
        baseline: { root, nodeOptions: "" },
        nodeArgs: ["--expose-gc", `--import=${HEAP_REPORT_PRELOAD}`],
      });
      const read = async (count: number): Promise<Report> => {
        process.kill(peer.pid!, "SIGUSR2");
        const deadline = Date.now() + 10_000;
        for (;;) {
          await pause(50);
          // A gateway that died (kill throws ESRCH) or never answers ends the run with its reason.
          process.kill(peer.pid!, 0);
          if (Date.now() > deadline) throw new Error(`no heap report ${count} from ${root} within 10 s`);
          const lines = (() => {
            try {
              return readFileSync(file, "utf8").trim().split("\n");
            } catch {
              return [];
            }
          })();
          if (lines.length >= count) return JSON.parse(lines[count - 1]!) as Report;
        }
      };
      const connection = connect({ name: root, ...peer.ready }, 64);
      try {
        await pause(300);
        const idle = await read(1);
        await throughput(connection, 64, 0, 3000);
        const loaded = await read(2);
        results.get(root)!.push({ idle, loaded });
      } finally {
        await connection.close();
        await peer.stop();
      }
    }
  }
} finally {
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;
console.log(`Medians of ${STARTS} starts per checkout, garbage collected before each reading\n`);
console.log(
  "| checkout | idle heap | idle external | idle RSS | heap after 3 s of 64 connections | RSS then | Node's own undici loaded |",
);
console.log("|---|---:|---:|---:|---:|---:|---|");
for (const [root, rows] of results) {
  const at = (pick: (row: { idle: Report; loaded: Report }) => number) => median(rows.map(pick));
  console.log(
    `| ${root} | ${mib(at((row) => row.idle.heapUsed))} | ${mib(at((row) => row.idle.external))} | ${mib(
      at((row) => row.idle.rssKiB * 1024),
    )} | ${mib(at((row) => row.loaded.heapUsed))} | ${mib(at((row) => row.loaded.rssKiB * 1024))} | ${
      rows.some((row) => row.loaded.bundledUndici) ? "yes" : "no"
    } |`,
  );
}
