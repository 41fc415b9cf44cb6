/**
 * @module bench/soak.bench
 * Memory under sustained load (docs/benchmarks.md): the built gateway, started as operators start it, serves
 * 64 concurrent mixed requests (chat whole and streamed, embeddings, Responses; BYOK and operator-served) for
 * BENCH_SOAK_MINUTES (default 10); its RSS is sampled every 2 s and reported per minute, with the growth
 * between the second and the last minute (goal < 10%).
 */
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { Pool } from "undici";
import { median } from "./http-load.ts";
import { startGatewayPeer, USER_KEY } from "./peers/start-gateway-peer.ts";
import { startPeer } from "./peers/start-peer.ts";

const MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 10);
const CONCURRENCY = 64;
const SAMPLE_MS = 2000;
const DURATION_MS = MINUTES * 60_000;
/** A minute, or a quarter of a run shorter than three minutes (a smoke run). */
const BUCKET_MS = MINUTES >= 3 ? 60_000 : DURATION_MS / 4;
const AFTER_LOAD_MS = 10_000;

const FEATURES = {
  chat: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }], operatorFallback: true },
  search: {
    needs: ["embeddings"],
    routes: [{ provider: "openai", model: "text-embedding-3-small" }],
    operatorFallback: true,
  },
};
const messages = [{ role: "user", content: "hi" }];
const KINDS = [
  { name: "chat", path: "/v1/chat/completions", body: { model: "chat", messages } },
  {
    name: "chat stream",
    path: "/v1/chat/completions",
    body: { model: "chat", messages, stream: true, stream_options: { include_usage: true } },
  },
  { name: "embeddings", path: "/v1/embeddings", body: { model: "search", input: ["hello", "world"] } },
  { name: "responses", path: "/v1/responses", body: { model: "chat", input: "hi" } },
].map((kind) => ({ ...kind, text: JSON.stringify(kind.body) }));

interface Sample {
  readonly atMs: number;
  readonly rssKiB: number;
  readonly cpuMicros: number;
  readonly requests: number;
}

function rssKiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match === null ? Number.NaN : Number(match[1]);
}

const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");

console.log(
  `soak bench: node ${process.version}, ${cpus().length} CPUs, load average ${load()}; ` +
    `${MINUTES} min at ${CONCURRENCY} concurrent mixed requests`,
);
const fake = await startPeer("fake provider", "./fake-provider.ts");
const gateway = await startGatewayPeer("gateway", fake.ready.origin, {
  operatorServed: true,
  config: { features: FEATURES },
}).catch(async (error: unknown) => {
  await fake.stop();
  throw error;
});
const pid = gateway.pid!;
const pool = new Pool(gateway.ready.origin, { connections: CONCURRENCY, keepAliveTimeout: 60_000 });
const sources = [
  { name: "operator", headers: { ...gateway.ready.headers, "content-type": "application/json" } },
  {
    name: "byok",
    headers: { ...gateway.ready.headers, "content-type": "application/json", "x-byok-openai": USER_KEY },
  },
];
const failures = new Map<string, { count: number; first: string }>();
let requests = 0;
let next = 0;
const started = performance.now();
const samples: Sample[] = [];
const sampler = setInterval(() => {
  samples.push({
    atMs: performance.now() - started,
    rssKiB: rssKiB(pid),
    cpuMicros: gateway.cpuMicros(),
    requests,
  });
}, SAMPLE_MS);

async function oneRequest(): Promise<void> {
  const turn = next++;
  const kind = KINDS[turn % KINDS.length]!;
  const source = sources[Math.floor(turn / KINDS.length) % sources.length]!;
  const response = await pool.request({
    method: "POST",
    path: kind.path,
    headers: source.headers,
    body: kind.text,
  });
  const text = await response.body.text();
  const ok = response.statusCode === 200 && (!kind.name.endsWith("stream") || text.includes("[DONE]"));
  if (ok) return void requests++;
  const key = `${source.name} ${kind.name}: ${response.statusCode}`;
  const seen = failures.get(key) ?? { count: 0, first: text.slice(0, 300) };
  failures.set(key, { ...seen, count: seen.count + 1 });
}

try {
  const loop = async () => {
    while (performance.now() - started < DURATION_MS) await oneRequest();
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  const loadEnded = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, AFTER_LOAD_MS));
  clearInterval(sampler);
  const idleRss = rssKiB(pid);
  report(loadEnded, idleRss);
} finally {
  clearInterval(sampler);
  await pool.close();
  await gateway.stop();
  await fake.stop();
}

function report(loadEndedMs: number, idleRssKiB: number): void {
  const buckets: Sample[][] = [];
  for (const sample of samples) {
    if (sample.atMs > loadEndedMs) continue;
    const index = Math.floor(sample.atMs / BUCKET_MS);
    buckets[index] = [...(buckets[index] ?? []), sample];
  }
  const label = BUCKET_MS === 60_000 ? "minute" : `${(BUCKET_MS / 1000).toFixed(0)} s bucket`;
  console.log(`\n| ${label} | req/s | CPU µs/request | RSS median | RSS max |\n|---:|---:|---:|---:|---:|`);
  const medians: number[] = [];
  let previous = samples[0];
  buckets.forEach((bucket, index) => {
    const last = bucket.at(-1)!;
    const served = last.requests - (previous?.requests ?? 0);
    const seconds = (last.atMs - (previous?.atMs ?? 0)) / 1000;
    const cpu = served > 0 ? (last.cpuMicros - (previous?.cpuMicros ?? 0)) / served : Number.NaN;
    const rss = median(bucket.map((sample) => sample.rssKiB));
    medians.push(rss);
    const max = Math.max(...bucket.map((sample) => sample.rssKiB));
    console.log(
      `| ${index + 1} | ${(served / seconds).toFixed(0)} | ${cpu.toFixed(0)} | ${mib(rss)} | ${mib(max)} |`,
    );
    previous = last;
  });
  console.log(
    `\n${requests} requests served, ${[...failures.values()].reduce((sum, f) => sum + f.count, 0)} failed`,
  );
  for (const [key, { count, first }] of failures) console.log(`  ${count} × ${key}: ${first}`);
  const second = medians[1];
  const final = medians.at(-1);
  if (second !== undefined && final !== undefined && medians.length > 2) {
    const growth = (final - second) / second;
    const verdict = growth < 0.1 ? "met" : "MISSED";
    console.log(
      `RSS growth, ${label} 2 → ${medians.length} (medians): ${(growth * 100).toFixed(1)}% (goal < 10%: ${verdict})`,
    );
  }
  console.log(
    `RSS ${AFTER_LOAD_MS / 1000} s after the load stopped: ${mib(idleRssKiB)}; load average ${load()}`,
  );
  if (failures.size > 0) process.exitCode = 1;
}
