/**
 * @module bench/scale.bench
 * `npm run bench -- scale`: in one run, (a) throughput on the fake provider of `serve --workers 2` against
 * `--workers 1`, with CPU per request, and (b) what shared admission adds at concurrency 1: the median
 * latency of operator-served calls (rate limit + quota reservation) through the primary over IPC, and
 * through Redis when this build has it, against the in-process admission; (c) the floor under it: one
 * rate-limit hit in process against one over a real IPC channel.
 */
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { createIpcEndpoint, type IpcPort } from "../src/cluster/index.ts";
import { parseConfig } from "../src/config/load-config.ts";
import { createIpcRateLimiter } from "../src/metering/rate-limits/create-ipc-rate-limiter.ts";
import { createLocalRateLimiter } from "../src/metering/rate-limits/index.ts";
import { checkTarget, connect, latencySamples, median, throughput } from "./http-load.ts";
import { childPids, startGatewayPeer } from "./peers/start-gateway-peer.ts";
import { cpuMicrosOf, type Peer, startPeer } from "./peers/start-peer.ts";

const ROUNDS = 3;
const CONCURRENCY = 64;
const THROUGHPUT_WARMUP_MS = 1_000;
const THROUGHPUT_WINDOW_MS = 3_000;
const LATENCY_WARMUP = 1_000;
const LATENCY_PER_ROUND = 1_000;
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
/** This run's keys (Redis is shared): all deleted at the end. */
const REDIS_PREFIX = `byok-bench-${randomBytes(6).toString("hex")}:`;

interface Target {
  readonly name: string;
  readonly peer: Peer;
  readonly connection: ReturnType<typeof connect>;
}

/** Whether this build knows `redis.url` (the Redis coordination part of issue #16). */
function buildHasRedis(): boolean {
  try {
    parseConfig({ redis: { url: REDIS_URL, keyPrefix: REDIS_PREFIX } });
    return true;
  } catch {
    return false;
  }
}

async function startTarget(
  name: string,
  fakeOrigin: string,
  options: Parameters<typeof startGatewayPeer>[2],
): Promise<Target> {
  const peer = await startGatewayPeer(name, fakeOrigin, options);
  const connection = connect({ name, ...peer.ready }, CONCURRENCY);
  await checkTarget(connection);
  return { name, peer, connection };
}

/** Runs `work` for every target, ROUNDS times, the order rotated each round so none always goes first. */
async function inRounds(targets: readonly Target[], work: (target: Target) => Promise<void>): Promise<void> {
  for (let round = 0; round < ROUNDS; round++)
    for (let index = 0; index < targets.length; index++)
      await work(targets[(index + round) % targets.length]!);
}

const fmt = (value: number, digits = 0) => value.toFixed(digits);

async function throughputPhase(fakeOrigin: string, peers: Peer[]): Promise<void> {
  const targets = [
    await startTarget("gateway --workers 1", fakeOrigin, { workers: 1 }),
    await startTarget("gateway --workers 2", fakeOrigin, { workers: 2 }),
  ];
  peers.push(...targets.map((target) => target.peer));
  const rps = new Map<string, number[]>();
  const cpu = new Map<string, number[]>();
  const split = new Map<string, string>();
  await inRounds(targets, async ({ name, peer, connection }) => {
    const workers = peer.pid === undefined ? [] : childPids(peer.pid);
    const workersBefore = workers.map(cpuMicrosOf);
    const before = peer.cpuMicros();
    const result = await throughput(connection, CONCURRENCY, THROUGHPUT_WARMUP_MS, THROUGHPUT_WINDOW_MS);
    rps.set(name, [...(rps.get(name) ?? []), result.rps]);
    cpu.set(name, [...(cpu.get(name) ?? []), (peer.cpuMicros() - before) / result.requests]);
    // Proof that both workers served: each worker's share of the workers' CPU in this round.
    const used = workers.map((pid, index) => cpuMicrosOf(pid) - workersBefore[index]!);
    const total = used.reduce((sum, value) => sum + value, 0);
    if (workers.length > 1)
      split.set(
        name,
        [
          ...(split.get(name) ?? "").split(" ").filter(Boolean),
          used.map((value) => fmt((100 * value) / total)).join("/"),
        ].join(" "),
      );
  });
  console.log(`\n(a) throughput, non-streaming BYOK-served chat completions, ${CONCURRENCY} in flight`);
  console.log(
    `${"target".padEnd(24)} ${"req/s (median)".padStart(15)} ${"rounds".padStart(24)} ${"CPU µs/req".padStart(11)}`,
  );
  for (const { name } of targets) {
    const rounds = rps.get(name)!;
    console.log(
      `${name.padEnd(24)} ${fmt(median(rounds)).padStart(15)} ${rounds
        .map((value) => fmt(value))
        .join(" ")
        .padStart(24)} ${fmt(median(cpu.get(name)!)).padStart(11)}`,
    );
  }
  const ratio = median(rps.get(targets[1]!.name)!) / median(rps.get(targets[0]!.name)!);
  for (const [name, shares] of split)
    console.log(`${name}: each worker's share of the CPU (%), per round: ${shares}`);
  console.log(
    `2 workers / 1 worker: ${ratio.toFixed(2)}x (goal ≥ 1.5x on 2 cores, the load generator sharing them)`,
  );
  await Promise.all(targets.map((target) => target.connection.close()));
}

async function admissionPhase(fakeOrigin: string, peers: Peer[]): Promise<void> {
  // Operator-served: every call takes a rate-limit hit and a quota reservation, then settles it.
  const admission = {
    operatorServed: true,
    config: {
      plans: { metered: { limits: [{ meter: "requests", period: "month", limit: 1_000_000_000 }] } },
      defaultPlan: "metered",
      rateLimits: { requestsPerMinute: 1_000_000_000, concurrentStreams: 1_000_000 },
    },
  } as const;
  const targets = [
    await startTarget("local (1 process)", fakeOrigin, { ...admission, workers: 1 }),
    await startTarget("cluster IPC (2 workers)", fakeOrigin, { ...admission, workers: 2 }),
  ];
  const redis = buildHasRedis();
  if (redis) {
    targets.push(
      await startTarget("Redis (1 process)", fakeOrigin, {
        ...admission,
        workers: 1,
        config: { ...admission.config, redis: { url: REDIS_URL, keyPrefix: REDIS_PREFIX } },
      }),
    );
  }
  peers.push(...targets.map((target) => target.peer));
  for (const { connection } of targets) await latencySamples(connection, LATENCY_WARMUP);
  const samples = new Map<string, number[]>();
  const scripts = { calls: 0, requests: 0 };
  await inRounds(targets, async ({ name, connection }) => {
    const before = name.startsWith("Redis") ? await redisScriptCalls() : null;
    samples.set(name, [
      ...(samples.get(name) ?? []),
      ...(await latencySamples(connection, LATENCY_PER_ROUND)),
    ]);
    if (before === null) return;
    scripts.calls += (await redisScriptCalls()) - before;
    scripts.requests += LATENCY_PER_ROUND;
  });
  const base = median(samples.get(targets[0]!.name)!);
  console.log(
    "\n(b) admission at concurrency 1: operator-served chat completions, rate limit + quota reservation",
  );
  console.log(`${"admission".padEnd(26)} ${"median µs".padStart(10)} ${"added µs".padStart(9)}`);
  for (const { name } of targets) {
    const value = median(samples.get(name)!);
    console.log(
      `${name.padEnd(26)} ${fmt(value / 1000, 1).padStart(10)} ${fmt((value - base) / 1000, 1).padStart(9)}`,
    );
  }
  if (redis)
    console.log(
      `Redis scripts per request (INFO commandstats, EVALSHA + EVAL; server-wide, so other clients of a ` +
        `shared Redis add to it): ${(scripts.calls / scripts.requests).toFixed(2)}`,
    );
  if (!redis)
    console.log(
      "Redis admission: not in this build (no `redis.url` setting yet); goal ≤ 150 µs added at the median",
    );
  await Promise.all(targets.map((target) => target.connection.close()));
}

/** The floor under (b): one rate-limit hit in this process, and one over a real IPC channel. */
async function ipcFloor(): Promise<void> {
  const path = fileURLToPath(new URL("./peers/ipc-echo-peer.ts", import.meta.url));
  const child = fork(path, [], {
    execPath: process.execPath,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const endpoint = createIpcEndpoint(child as unknown as IpcPort);
  const ready = Promise.withResolvers<void>();
  endpoint.handle("bench.ready", () => ready.resolve());
  await ready.promise;
  const local = createLocalRateLimiter();
  const leased = createIpcRateLimiter(endpoint, { limiter: "users" });
  const time = async (work: () => Promise<unknown>, mean = false) => {
    const samples: number[] = [];
    for (let index = 0; index < 2_000 + LATENCY_PER_ROUND * 3; index++) {
      const start = process.hrtime.bigint();
      await work();
      if (index >= 2_000) samples.push(Number(process.hrtime.bigint() - start));
    }
    return (mean ? samples.reduce((sum, value) => sum + value, 0) / samples.length : median(samples)) / 1000;
  };
  const inProcess = await time(() => local.hit("rpm:bench", 1_000_000_000, 60_000));
  const overIpc = await time(() => endpoint.request("bench.hit", { key: "rpm:bench" }));
  // A worker's hit as `serve --workers N` takes it now: from a lease, asking the primary for more at times.
  const fromLease = await time(() => leased.hit("rpm:bench-leased", 1_000_000_000, 60_000));
  const fromLeaseMean = await time(() => leased.hit("rpm:bench-leased", 1_000_000_000, 60_000), true);
  endpoint.close();
  child.disconnect();
  console.log(
    `\n(c) one rate-limit hit at concurrency 1: in this process ${fmt(inProcess, 1)} µs, over IPC to another ` +
      `process ${fmt(overIpc, 1)} µs (median); a worker's hit from its lease ${fmt(fromLease, 1)} µs ` +
      `(median), ${fmt(fromLeaseMean, 1)} µs (mean, the primary's asks included)`,
  );
}

/** Lua script calls the Redis server has run so far (EVALSHA and EVAL, from INFO commandstats). */
async function redisScriptCalls(): Promise<number> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    const stats = await client.info("commandstats");
    let calls = 0;
    for (const match of stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(match[1]);
    return calls;
  } finally {
    client.disconnect();
  }
}

/** Deletes this run's Redis keys (never anything else: the server is shared). */
async function dropRedisKeys(): Promise<void> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${REDIS_PREFIX}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== "0");
  } finally {
    client.disconnect();
  }
}

const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");
const startedAt = performance.now();
console.log(
  `scale bench: node ${process.version}, ${cpus().length} CPUs, load average ${load()}; ${ROUNDS} rounds, targets interleaved`,
);
const peers: Peer[] = [];
try {
  const fake = await startPeer("fake provider", "./fake-provider.ts");
  peers.push(fake);
  // BENCH_SCALE_ONLY=throughput|admission|ipc runs one part (for alternated before/after runs).
  const only = process.env.BENCH_SCALE_ONLY;
  if (only === undefined || only === "throughput") await throughputPhase(fake.ready.origin, peers);
  if (only === undefined || only === "admission") await admissionPhase(fake.ready.origin, peers);
  if (only === undefined || only === "ipc") await ipcFloor();
} catch (error) {
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : "";
  console.error(`scale bench failed: ${error instanceof Error ? error.message : String(error)}${cause}`);
  process.exitCode = 1;
} finally {
  await Promise.all(peers.map((peer) => peer.stop()));
  if (buildHasRedis()) await dropRedisKeys();
}
console.log(`\n${((performance.now() - startedAt) / 1000).toFixed(1)} s, load average after ${load()}`);
