/**
 * @module bench/allocation
 * What one request allocates, the floor against the gateway: V8's sampling heap profiler (collected objects
 * included) over 3 s of 64 connections after 3 s of warm-up, in bytes per request, by area and by function.
 * `node bench/allocation.ts [<checkout> …]` (default: this one), each built and started as operators start it.
 * Unlike CPU time it barely moves with the machine's load, so a cut of a few hundred bytes shows.
 * BENCH_ALLOCATION_MINIMAL=1 adds the bench's minimal gateway (bench/peers/minimal-gateway.ts) after the floor.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect, throughput } from "./http-load.ts";
import { ALLOCATION_SAMPLER_PRELOAD } from "./peers/allocation-sampler.ts";
import { startGatewayPeer } from "./peers/start-gateway-peer.ts";
import { type Peer, startPeer } from "./peers/start-peer.ts";
import { areaOfUrl, shortUrl } from "./profile-areas.ts";

interface SamplingNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly SamplingNode[];
}

const WARMUP_MS = 3000;
const WINDOW_MS = 3000;
const TOP = Number(process.env.BENCH_TOP ?? 15);
const roots =
  process.argv.length > 2 ? process.argv.slice(2) : [fileURLToPath(new URL("..", import.meta.url))];
const dir = mkdtempSync(join(tmpdir(), "byok-allocation-"));
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Bytes per request by area and by function; an allocation in a builtin is charged to its nearest caller with a source. */
function summarize(root: SamplingNode, requests: number) {
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  const add = (totals: Map<string, number>, key: string, bytes: number) =>
    totals.set(key, (totals.get(key) ?? 0) + bytes);
  const walk = (node: SamplingNode, nearestUrl: string) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const own = url === "" ? nearestUrl : url;
    if (node.selfSize > 0) {
      total += node.selfSize;
      add(areas, own === "" ? "other" : areaOfUrl(own), node.selfSize);
      add(
        functions,
        `${functionName || "(anonymous)"} ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ""}`,
        node.selfSize,
      );
    }
    for (const child of node.children) walk(child, own);
  };
  walk(root, "");
  const perRequest = (totals: Map<string, number>) =>
    [...totals]
      .sort((left, right) => right[1] - left[1])
      .map(([name, bytes]) => [name, bytes / requests] as const);
  return { total: total / requests, areas: perRequest(areas), functions: perRequest(functions) };
}

async function measure(name: string, peer: Peer, file: string) {
  const connection = connect({ name, ...peer.ready }, 64);
  try {
    await throughput(connection, 64, 0, WARMUP_MS);
    process.kill(peer.pid!, "SIGUSR2");
    await pause(100);
    const { requests } = await throughput(connection, 64, 0, WINDOW_MS);
    process.kill(peer.pid!, "SIGUSR2");
    const deadline = Date.now() + 30_000;
    while (!existsSync(file)) {
      process.kill(peer.pid!, 0); // a process that died ends the run with its reason
      if (Date.now() > deadline) throw new Error(`${name}: no allocation profile within 30 s`);
      await pause(100);
    }
    await pause(500); // written in one call: let it finish
    const profile = JSON.parse(readFileSync(file, "utf8")) as { head: SamplingNode };
    return { name, requests, ...summarize(profile.head, requests) };
  } finally {
    await connection.close();
    await peer.stop();
  }
}

const fake = await startPeer("fake provider", "./fake-provider.ts");
const results = [];
try {
  let index = 0;
  const fileFor = () => join(dir, `${index++}.heapprofile`);
  {
    const file = fileFor();
    process.env.BENCH_ALLOCATION_PROFILE = file;
    process.env.NODE_OPTIONS = `--import=${ALLOCATION_SAMPLER_PRELOAD}`;
    const floor = await startPeer("bare proxy", "./bare-proxy.ts", [fake.ready.origin]);
    delete process.env.NODE_OPTIONS;
    results.push(await measure("bare proxy (floor)", floor, file));
  }
  if (process.env.BENCH_ALLOCATION_MINIMAL === "1") {
    const file = fileFor();
    process.env.BENCH_ALLOCATION_PROFILE = file;
    process.env.NODE_OPTIONS = `--import=${ALLOCATION_SAMPLER_PRELOAD}`;
    const minimal = await startPeer("minimal gateway", "./minimal-gateway.ts", [fake.ready.origin]);
    delete process.env.NODE_OPTIONS;
    results.push(await measure("minimal gateway", minimal, file));
  }
  for (const root of roots) {
    const file = fileFor();
    process.env.BENCH_ALLOCATION_PROFILE = file;
    const gateway = await startGatewayPeer(`gateway ${root}`, fake.ready.origin, {
      baseline: { root, nodeOptions: "" },
      nodeArgs: [`--import=${ALLOCATION_SAMPLER_PRELOAD}`],
    });
    results.push(await measure(`gateway ${root}`, gateway, file));
  }
} finally {
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
}

const bytes = (value: number) => `${value.toFixed(0)} B`;
/** What the gateway's own folders (`gateway: …` areas) allocate, of the whole. */
const own = (areas: readonly (readonly [string, number])[]) =>
  areas.filter(([area]) => area.startsWith("gateway: ")).reduce((sum, [, value]) => sum + value, 0);
console.log(
  "| target | requests sampled | allocated per request | of it, the gateway's own code |\n|---|---:|---:|---:|",
);
for (const result of results)
  console.log(
    `| ${result.name} | ${result.requests} | ${bytes(result.total)} | ${bytes(own(result.areas))} |`,
  );
for (const result of results) {
  console.log(`\n${result.name}: by area\n\n| bytes per request | area |\n|---:|---|`);
  for (const [area, value] of result.areas.slice(0, TOP)) console.log(`| ${bytes(value)} | ${area} |`);
  console.log(`\n${result.name}: by function\n\n| bytes per request | function |\n|---:|---|`);
  for (const [name, value] of result.functions.slice(0, TOP)) console.log(`| ${bytes(value)} | ${name} |`);
}
