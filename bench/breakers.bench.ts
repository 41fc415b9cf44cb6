/**
 * @module bench/breakers.bench
 * What a closed circuit breaker costs an attempt (`allow` then `succeeded`, as the attempt loop calls them),
 * local and Redis-shared (its mirror answers; no board call on this path). Baseline in the same run: one
 * Map lookup, the least a per-upstream check can do.
 */
import { createLocalBreakers, createSharedBreakers } from "../src/resilience/index.ts";
import type { BreakerBoard } from "../src/store/breaker-board.ts";
import { measure, report } from "./measure.ts";

const OPERATIONS = 200_000;
const RUNS = 7;
const UPSTREAMS = ["openai|operator", "openai|byok", "anthropic|operator", "azure-eu|operator"];
const settings = { failureThreshold: 5, openMs: 30_000, halfOpenProbes: 1 };

/** A board that is up and must never be called on the success path of a closed breaker. */
const idleBoard: BreakerBoard = {
  up: true,
  countFailure: () => Promise.reject(new Error("not on the success path")),
  clearFailures: () => Promise.reject(new Error("not on the success path")),
  claimProbe: () => Promise.reject(new Error("not on the success path")),
  reset: () => Promise.reject(new Error("not on the success path")),
  read: async () => [],
  onNotice: () => () => {},
  onSubscription: () => () => {},
  close: async () => {},
};

const local = createLocalBreakers(settings);
const shared = createSharedBreakers({ ...settings, board: idleBoard });
// Known upstreams (a failure each, then a success), as after some traffic.
for (const breakers of [local, shared]) {
  for (const upstream of UPSTREAMS) breakers.failed(upstream);
}
for (const upstream of UPSTREAMS) local.succeeded(upstream);
for (const upstream of UPSTREAMS) shared.succeeded(upstream);
await new Promise((resolve) => setImmediate(resolve));

const map = new Map(UPSTREAMS.map((upstream) => [upstream, { state: 0 }]));
let index = 0;
const next = () => UPSTREAMS[index++ & 3]!;
const baseline = await measure("baseline: Map.get of the upstream", OPERATIONS, RUNS, () => map.get(next()));
const cases = [
  await measure("local: allow + succeeded (closed)", OPERATIONS, RUNS, () => {
    const upstream = next();
    if (local.allow(upstream)) local.succeeded(upstream);
  }),
  await measure("redis-shared mirror: allow + succeeded (closed)", OPERATIONS, RUNS, () => {
    const upstream = next();
    if (shared.allow(upstream)) shared.succeeded(upstream);
  }),
];
report(`circuit breakers, ${OPERATIONS} attempts x ${RUNS} runs (median per attempt)`, baseline, cases);
await shared.close();
