/**
 * @module bench/streams.bench
 * A thousand streams per process (docs/benchmarks.md, "Thousand streams"): the built gateway in front of a
 * loopback provider whose streams last ~6 s, 1,000 concurrent client streams per wave, RSS sampled throughout.
 */
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { Pool } from "undici";
import { startGatewayPeer } from "./peers/start-gateway-peer.ts";
import { type Peer, startPeer } from "./peers/start-peer.ts";

const STREAMS = Number(process.env.BENCH_STREAMS ?? 1000);
const WAVES = Number(process.env.BENCH_STREAMS_WAVES ?? 3);
/** A soak: waves back to back for this many minutes (then RSS growth between the 2nd and last minute). */
const SOAK_MINUTES = Number(process.env.BENCH_STREAMS_MINUTES ?? 0);
const SETTLE_MS = 15_000;
const HEADERS_TIMEOUT_MS = 4_000; // the issue's egress headers limit: a queued stream must not hit it
const STREAM_BODY = JSON.stringify({
  model: "chat",
  messages: [{ role: "user", content: "hi" }],
  stream: true,
  stream_options: { include_usage: true },
});

interface WaveOutcome {
  completed: number;
  failed: number;
  endedEarly: number;
  readonly failures: Map<string, number>;
  peakRssMiB: number;
  seconds: number;
}

/** Current resident set size of a process, in MiB (VmRSS). */
function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match === null ? 0 : Number(match[1]) / 1024;
}

async function oneStream(client: Pool, headers: Record<string, string>, outcome: WaveOutcome) {
  const count = (what: string) => outcome.failures.set(what, (outcome.failures.get(what) ?? 0) + 1);
  let response: Awaited<ReturnType<Pool["request"]>>;
  try {
    response = await client.request({
      path: "/v1/chat/completions",
      method: "POST",
      headers,
      body: STREAM_BODY,
    });
  } catch (error) {
    outcome.failed++;
    count(`error ${(error as { code?: string }).code ?? "unknown"}`);
    return;
  }
  let text = "";
  try {
    response.body.setEncoding("utf8");
    for await (const chunk of response.body) text = (text + chunk).slice(-64);
  } catch {
    outcome.endedEarly++;
    return;
  }
  if (response.statusCode !== 200) {
    outcome.failed++;
    const type = /"type":"([a-z_]+)"/.exec(text)?.[1] ?? "";
    count(`${response.statusCode} ${type}`.trim());
  } else if (text.includes("data: [DONE]")) outcome.completed++;
  else outcome.endedEarly++;
}

interface RssSample {
  readonly at: number;
  readonly mib: number;
}

async function wave(client: Pool, gateway: Peer, samples: RssSample[]): Promise<WaveOutcome> {
  const outcome: WaveOutcome = {
    completed: 0,
    failed: 0,
    endedEarly: 0,
    failures: new Map(),
    peakRssMiB: 0,
    seconds: 0,
  };
  const headers = { ...gateway.ready.headers, "content-type": "application/json" };
  const started = performance.now();
  const sampler = setInterval(() => {
    const rss = rssMiB(gateway.pid!);
    samples.push({ at: performance.now(), mib: rss });
    outcome.peakRssMiB = Math.max(outcome.peakRssMiB, rss);
  }, 1000);
  await Promise.all(Array.from({ length: STREAMS }, () => oneStream(client, headers, outcome)));
  clearInterval(sampler);
  outcome.seconds = (performance.now() - started) / 1000;
  return outcome;
}

async function poolLines(gateway: Peer): Promise<string[]> {
  const response = await fetch(`${gateway.ready.origin}/metrics`).catch(() => null);
  const text = response?.ok ? await response.text() : "";
  return text.split("\n").filter((line) => line.startsWith("byok_upstream_pool"));
}

const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");

const peers: Peer[] = [];
let client: Pool | undefined;
try {
  console.log(
    `streams bench: node ${process.version}, ${cpus().length} CPUs, load average ${load()}; ` +
      `${STREAMS} concurrent ~6 s streams per wave, ${SOAK_MINUTES > 0 ? `${SOAK_MINUTES} min soak` : `${WAVES} waves`}`,
  );
  const provider = await startPeer("slow provider", "./slow-stream-provider.ts");
  peers.push(provider);
  const gateway = await startGatewayPeer("gateway", provider.ready.origin, {
    config: { upstream: { timeouts: { headersMs: HEADERS_TIMEOUT_MS } } },
  });
  peers.push(gateway);
  client = new Pool(gateway.ready.origin, { connections: STREAMS * 2, keepAliveTimeout: 60_000 });
  const samples: RssSample[] = [];
  const startedAt = performance.now();
  const before = rssMiB(gateway.pid!);
  const cpuBefore = gateway.cpuMicros();
  const outcomes: WaveOutcome[] = [];
  for (let index = 0; ; index++) {
    if (SOAK_MINUTES > 0 ? performance.now() - startedAt > SOAK_MINUTES * 60_000 : index >= WAVES) break;
    const running = wave(client, gateway, samples);
    if (index === 0)
      setTimeout(
        () => void poolLines(gateway).then((lines) => lines.length > 0 && console.log(lines.join("\n"))),
        3000,
      );
    const outcome = await running;
    outcomes.push(outcome);
    const failures = [...outcome.failures].map(([what, n]) => `${what} ×${n}`).join(", ");
    console.log(
      `wave ${index + 1}: ${outcome.completed}/${STREAMS} completed, ${outcome.failed} failed, ${outcome.endedEarly} ended early` +
        ` in ${outcome.seconds.toFixed(1)} s; peak RSS ${outcome.peakRssMiB.toFixed(0)} MiB${failures ? ` (${failures})` : ""}`,
    );
  }
  const streams = outcomes.length * STREAMS;
  const cpuPerStream = (gateway.cpuMicros() - cpuBefore) / streams;
  const afterLoad = rssMiB(gateway.pid!);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const settled = rssMiB(gateway.pid!);
  const completed = outcomes.reduce((sum, outcome) => sum + outcome.completed, 0);
  console.log(
    `completed ${completed} of ${streams}; gateway CPU ${(cpuPerStream / 1000).toFixed(2)} ms per stream; ` +
      `RSS before ${before.toFixed(0)} MiB, peak ${Math.max(...samples.map((sample) => sample.mib)).toFixed(0)} MiB, after load ${afterLoad.toFixed(0)} MiB, ` +
      `after ${SETTLE_MS / 1000} s settle ${settled.toFixed(0)} MiB; load average ${load()}`,
  );
  if (SOAK_MINUTES >= 3) {
    const inMinute = (minute: number) =>
      samples
        .filter((sample) => Math.floor((sample.at - startedAt) / 60_000) === minute)
        .map((sample) => sample.mib);
    const second = median(inMinute(1));
    const last = median(inMinute(SOAK_MINUTES - 1));
    console.log(
      `RSS median 2nd minute ${second.toFixed(0)} MiB, last minute ${last.toFixed(0)} MiB: growth ${(((last - second) / second) * 100).toFixed(1)}%`,
    );
  }
  if (completed < streams) process.exitCode = 1;
} finally {
  await client?.close();
  for (const peer of peers.reverse()) await peer.stop();
}
