/**
 * @module Micro-benchmarks for the egress validator's hot paths, with `new URL()` alone as the
 * baseline measured in the same run. Run: `npx node bench/egress.bench.ts`. Prints median ns/op.
 */
import { checkAddress, createEgressPolicy, validateBaseUrl } from "../src/egress/index.ts";

const runs = 7;
const iterations = 20_000;

interface Case {
  readonly name: string;
  readonly run: () => unknown;
}

async function measure(entry: Case): Promise<number[]> {
  const samples: number[] = [];
  for (let warm = 0; warm < 2_000; warm++) await entry.run();
  for (let run = 0; run < runs; run++) {
    const start = process.hrtime.bigint();
    for (let index = 0; index < iterations; index++) await entry.run();
    samples.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  return samples.sort((left, right) => left - right);
}

const literalUrl = "https://93.184.216.34/v1";
const blockedUrl = "https://blocked.bench.example/v1";
const policy = createEgressPolicy({
  resolver: async () => [{ address: "10.0.0.1", family: 4 }],
  rejectionCacheTtlMs: 3_600_000,
});
const primed = await validateBaseUrl(blockedUrl, policy);
if (primed.ok || primed.reason !== "address_denied")
  throw new Error("the cached-negative case is not denied");
const literal = await validateBaseUrl(literalUrl, policy);
if (!literal.ok) throw new Error("the IP-literal case is not allowed");

const cases: Case[] = [
  { name: "baseline: new URL() alone", run: () => new URL(literalUrl) },
  { name: "checkAddress (public IPv4)", run: () => checkAddress("93.184.216.34", policy) },
  { name: "validateBaseUrl, IP-literal URL", run: () => validateBaseUrl(literalUrl, policy) },
  { name: "validateBaseUrl, cached-negative URL", run: () => validateBaseUrl(blockedUrl, policy) },
];

console.log(`egress bench: ${runs} runs × ${iterations} iterations, median ns/op (min–max)`);
for (const entry of cases) {
  const samples = await measure(entry);
  const median = samples[Math.floor(samples.length / 2)] ?? Number.NaN;
  const low = samples[0] ?? Number.NaN;
  const high = samples.at(-1) ?? Number.NaN;
  console.log(
    `${entry.name.padEnd(40)} ${median.toFixed(0).padStart(7)} ns/op  (${low.toFixed(0)}–${high.toFixed(0)})`,
  );
}
