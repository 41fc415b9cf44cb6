/**
 * @module bench/proxy-report
 * The proxy bench's results per target and their report: one table per metric, then the goals
 * as ratios computed within the run (reported, never enforced).
 */
import { median, quantile } from "./http-load.ts";

export const DIRECT = "direct";
export const BARE_PROXY = "bare proxy";
export const GATEWAY = "gateway";
/** The same gateway with usage records and rate limits off: what metering costs. */
export const GATEWAY_UNMETERED = "gateway, metering off";
/** Another checkout's build (BENCH_BASELINE_ROOT): the before of a before/after, measured in this run. */
export const GATEWAY_BASELINE = "gateway, baseline build";

export interface TargetResult {
  readonly name: string;
  readonly latencyNs: number[];
  readonly latencyRoundMedians: number[];
  readonly rps: number[];
  /** CPU time (user + system) of the serving process per request, in µs, per throughput window. */
  readonly cpuMicrosPerRequest: number[];
  readonly ttfbNs: number[];
  readonly ttfbRoundMedians: number[];
  readonly totalNs: number[];
  /** Peak RSS once started, before any request; then at the end of the run. */
  startRssKiB: number;
  maxRssKiB: number;
}

export const emptyResult = (name: string): TargetResult => ({
  name,
  latencyNs: [],
  latencyRoundMedians: [],
  rps: [],
  cpuMicrosPerRequest: [],
  ttfbNs: [],
  ttfbRoundMedians: [],
  totalNs: [],
  startRssKiB: 0,
  maxRssKiB: 0,
});

const micros = (ns: number) => {
  const value = ns / 1000;
  return `${Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(1)} µs`;
};
const signedMicros = (ns: number) => (ns >= 0 ? `+${micros(ns)}` : micros(ns));
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

function printTable(title: string, header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join(" | ")} |`;
  console.log(`\n${title}\n`);
  console.log(line(header));
  console.log(
    `|${widths.map((width, column) => (column === 0 ? "-" : "").padEnd(width + 1, "-") + (column === 0 ? "-" : ":")).join("|")}|`,
  );
  for (const row of rows) console.log(line(row));
}

function goal(
  name: string,
  value: number | null,
  shown: string,
  target: string,
  met: (value: number) => boolean,
) {
  return [
    name,
    value === null ? "n/a" : shown,
    target,
    value === null ? "n/a" : met(value) ? "met" : "MISSED",
  ];
}

/** `part ÷ whole`, or null when `whole` is not positive (an added cost lost in the noise). */
const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : null);

interface RoundRatios {
  readonly rounds: readonly (number | null)[];
  readonly median: number | null;
}

/** Round r's `part[r] ÷ whole[r]`, and their median (rounds run back to back, so drift hits both alike). */
function roundRatio(part: readonly number[], whole: readonly number[]): RoundRatios {
  const rounds = part.map((value, round) => ratio(value, whole[round] ?? Number.NaN));
  const known = rounds.filter((value): value is number => value !== null);
  return { rounds, median: known.length === 0 ? null : median(known) };
}

/** Each round's median minus the direct target's median of the same round. */
const addedPerRound = (values: readonly number[], direct: readonly number[]) =>
  values.map((value, round) => value - (direct[round] ?? Number.NaN));

export function printReport(results: readonly TargetResult[]): void {
  const byName = (name: string) => results.find((result) => result.name === name);
  const direct = byName(DIRECT)!;
  const bare = byName(BARE_PROXY)!;
  const gateway = byName(GATEWAY);
  const added = (result: TargetResult, pick: (result: TargetResult) => number) =>
    result === direct ? "—" : signedMicros(pick(result) - pick(direct));
  const p99 = (result: TargetResult) => quantile(result.latencyNs, 0.99);
  const latencyMedian = (result: TargetResult) => median(result.latencyNs);

  printTable(
    `Latency, concurrency 1, non-streaming (${direct.latencyNs.length} requests per target)`,
    ["target", "median", "p99", "added median", "added p99", "round medians"],
    results.map((result) => [
      result.name,
      micros(latencyMedian(result)),
      micros(p99(result)),
      added(result, latencyMedian),
      added(result, p99),
      result.latencyRoundMedians.map((value) => (value / 1000).toFixed(0)).join(" / "),
    ]),
  );
  printTable(
    `Throughput, concurrency 64, non-streaming (${direct.rps.length} windows per target)`,
    ["target", "req/s (median)", "windows", "vs direct"],
    results.map((result) => [
      result.name,
      median(result.rps).toFixed(0),
      result.rps.map((value) => value.toFixed(0)).join(" / "),
      `${(median(result.rps) / median(direct.rps)).toFixed(2)}x`,
    ]),
  );
  printTable(
    "CPU per request of the serving process at concurrency 64 (user + system, /proc; the direct row is the fake provider alone)",
    ["target", "CPU µs/request (median)", "requests/s per core", "vs bare proxy"],
    results.map((result) => [
      result.name,
      median(result.cpuMicrosPerRequest).toFixed(0),
      (1e6 / median(result.cpuMicrosPerRequest)).toFixed(0),
      result === direct
        ? "—"
        : `${(median(result.cpuMicrosPerRequest) / median(bare.cpuMicrosPerRequest)).toFixed(2)}x`,
    ]),
  );
  const ttfb = (result: TargetResult) => median(result.ttfbNs);
  const total = (result: TargetResult) => median(result.totalNs);
  printTable(
    `Streaming, concurrency 1, 50 chunks + usage (${direct.ttfbNs.length} streams per target, medians)`,
    ["target", "first byte", "whole stream", "added first byte", "added whole stream"],
    results.map((result) => [
      result.name,
      micros(ttfb(result)),
      micros(total(result)),
      added(result, ttfb),
      added(result, total),
    ]),
  );
  printTable(
    "Peak RSS of the serving process (the gateway runs its build, dist/main.js; the fake and the bare proxy run as .ts)",
    ["process", "started", "end of run"],
    results.map((result) => [
      result === direct ? "fake provider" : result.name,
      mib(result.startRssKiB),
      mib(result.maxRssKiB),
    ]),
  );
  if (!gateway) return;
  const addedLatency = (result: TargetResult) => latencyMedian(result) - latencyMedian(direct);
  const addedTtfb = (result: TargetResult) => ttfb(result) - ttfb(direct);
  const printGoals = (target: TargetResult) => {
    const cpuRatio = roundRatio(target.cpuMicrosPerRequest, bare.cpuMicrosPerRequest);
    const throughputRatio = roundRatio(target.rps, bare.rps);
    const latencyRatio = roundRatio(
      addedPerRound(target.latencyRoundMedians, direct.latencyRoundMedians),
      addedPerRound(bare.latencyRoundMedians, direct.latencyRoundMedians),
    );
    const ttfbRatio = roundRatio(
      addedPerRound(target.ttfbRoundMedians, direct.ttfbRoundMedians),
      addedPerRound(bare.ttfbRoundMedians, direct.ttfbRoundMedians),
    );
    const shown = (ratios: RoundRatios) =>
      `${ratios.median?.toFixed(2)}x (${ratios.rounds.map((value) => value?.toFixed(2) ?? "n/a").join(" / ")})`;
    printTable(
      `Goals (issue #18): ${target.name} ÷ bare proxy (the floor), round by round, median of the rounds`,
      ["goal", "median (rounds)", "target", ""],
      [
        goal(
          "CPU per request at 64 connections",
          cpuRatio.median,
          shown(cpuRatio),
          "≤ 1.5x",
          (v) => v <= 1.5,
        ),
        goal(
          "throughput at 64 connections",
          throughputRatio.median,
          shown(throughputRatio),
          "≥ 0.66x",
          (v) => v >= 0.66,
        ),
        goal(
          "added latency at concurrency 1",
          latencyRatio.median,
          shown(latencyRatio),
          "≤ 1.3x",
          (v) => v <= 1.3,
        ),
        goal(
          "added time to first streamed byte",
          ttfbRatio.median,
          shown(ttfbRatio),
          "≤ 1.5x",
          (v) => v <= 1.5,
        ),
        goal("peak RSS", target.maxRssKiB, mib(target.maxRssKiB), "< 150 MiB", (v) => v < 150 * 1024),
      ],
    );
  };
  printGoals(gateway);
  const baseline = byName(GATEWAY_BASELINE);
  if (baseline) printGoals(baseline);
  const unmetered = byName(GATEWAY_UNMETERED);
  if (!unmetered) return;
  const cpu = (result: TargetResult) => median(result.cpuMicrosPerRequest);
  printTable(
    "Metering (usage records, rate limits, a plan in force) on vs off, same run",
    ["measure", "metering on", "metering off", "on ÷ off"],
    [
      [
        "added median latency",
        signedMicros(addedLatency(gateway)),
        signedMicros(addedLatency(unmetered)),
        `${ratio(addedLatency(gateway), addedLatency(unmetered))?.toFixed(2)}x`,
      ],
      [
        "throughput",
        `${median(gateway.rps).toFixed(0)} req/s`,
        `${median(unmetered.rps).toFixed(0)} req/s`,
        `${ratio(median(gateway.rps), median(unmetered.rps))?.toFixed(2)}x`,
      ],
      [
        "CPU per request",
        `${cpu(gateway).toFixed(0)} µs`,
        `${cpu(unmetered).toFixed(0)} µs`,
        `${ratio(cpu(gateway), cpu(unmetered))?.toFixed(2)}x`,
      ],
      [
        "added first byte",
        signedMicros(addedTtfb(gateway)),
        signedMicros(addedTtfb(unmetered)),
        `${ratio(addedTtfb(gateway), addedTtfb(unmetered))?.toFixed(2)}x`,
      ],
    ],
  );
}
