/**
 * @module bench/summarize-cpu-profile
 * Reads a V8 `.cpuprofile` (`node --cpu-prof`) and prints self time by area (the gateway's folders, Fastify,
 * undici, Node's internals, GC), by file and by function.
 * Usage: `node bench/summarize-cpu-profile.ts <file> [--top N] [--from-us T]` (`--from-us`: only the samples
 * from that monotonic time on, in µs as `process.hrtime` counts; e.g. after start-up and warm-up).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { areaOfUrl, shortUrl } from "./profile-areas.ts";

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
}

function areaOfNode(node: ProfileNode, parentOf: Map<number, ProfileNode>): string {
  const { functionName, url } = node.callFrame;
  if (functionName === "(garbage collector)") return "GC";
  if (functionName === "(idle)") return "(idle)";
  if (functionName === "(program)") return "(program: native, unattributed)";
  // A builtin (JSON.parse, writev, crypto): charged to the nearest caller that has a URL.
  let current: ProfileNode | undefined = node;
  while (current !== undefined && current.callFrame.url === "") current = parentOf.get(current.id);
  const area = current === undefined ? "other" : areaOfUrl(current.callFrame.url);
  return url === "" ? `${area}` : area;
}

function printTop(title: string, totals: Map<string, number>, busy: number, count: number): void {
  console.log(`\n${title}\n`);
  console.log("| share of busy time | ms | |\n|---:|---:|---|");
  const sorted = [...totals].sort((left, right) => right[1] - left[1]).slice(0, count);
  for (const [name, micros] of sorted)
    console.log(`| ${((100 * micros) / busy).toFixed(1)}% | ${(micros / 1000).toFixed(0)} | ${name} |`);
}

const add = (totals: Map<string, number>, key: string, micros: number) =>
  totals.set(key, (totals.get(key) ?? 0) + micros);

const { values, positionals } = parseArgs({
  options: { top: { type: "string" }, "from-us": { type: "string" } },
  allowPositionals: true,
});
const file = positionals[0];
if (!file) throw new Error("usage: summarize-cpu-profile.ts <file.cpuprofile> [--top N] [--from-us T]");
const top = Number(values.top ?? 30);
const fromMicros = Number(values["from-us"] ?? 0);
const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, ProfileNode>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node);
const selfMicros = new Map<number, number>();
let sampleTime = profile.startTime;
profile.samples.forEach((id, index) => {
  const delta = profile.timeDeltas[index] ?? 0;
  sampleTime += delta;
  if (sampleTime >= fromMicros) selfMicros.set(id, (selfMicros.get(id) ?? 0) + delta);
});

const areas = new Map<string, number>();
const files = new Map<string, number>();
const functions = new Map<string, number>();
let busy = 0;
for (const [id, micros] of selfMicros) {
  const node = byId.get(id)!;
  const area = areaOfNode(node, parentOf);
  if (area === "(idle)") continue;
  busy += micros;
  add(areas, area, micros);
  const { functionName, url, lineNumber } = node.callFrame;
  add(files, shortUrl(url), micros);
  add(
    functions,
    `${functionName || "(anonymous)"} ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ""}`,
    micros,
  );
}
console.log(`${file}: ${(busy / 1000).toFixed(0)} ms busy (idle excluded)`);
printTop("Self time by area (builtins charged to their nearest caller with a source file)", areas, busy, top);
printTop("Self time by file", files, busy, top);
printTop("Self time by function", functions, busy, top);
