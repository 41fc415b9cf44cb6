/**
 * @module bench/invalidation.bench
 * `npm run bench -- invalidation`: publish → delivered latency of the Redis invalidation bus to three
 * subscribing replicas (p50/p99; goal p99 under 100 ms), against the in-process bus in the same run.
 */
import { randomBytes } from "node:crypto";
import { createRedisInvalidationBus } from "../src/store/create-redis-invalidation-bus.ts";
import { createLocalInvalidationBus, type InvalidationBus } from "../src/store/invalidation-bus.ts";
import { openRedisConnection, type RedisConnection } from "../src/store/redis/open-redis-connection.ts";

const MESSAGES = 2_000;
const SUBSCRIBERS = 3;
const url = process.env.BYOK_REDIS_URL ?? "redis://127.0.0.1:6379";
const keyPrefix = `byok-bench-${randomBytes(6).toString("hex")}:`;

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** Publishes one message at a time on `publisher` and times its arrival on every subscriber, in ms. */
async function run(publisher: InvalidationBus, subscribers: readonly InvalidationBus[]): Promise<number[]> {
  const latencies: number[] = [];
  for (let index = 0; index < MESSAGES; index++) {
    const userId = `bench-${index}`;
    const start = performance.now();
    const arrivals = subscribers.map(
      (bus) =>
        new Promise<void>((resolve) => {
          const stop = bus.subscribe((message) => {
            if (message.topic === "resync" || message.userId !== userId) return;
            latencies.push(performance.now() - start);
            stop();
            resolve();
          });
        }),
    );
    await publisher.publish({ topic: "user", userId, cut: "user_revoked" });
    await Promise.all(arrivals);
  }
  return latencies.sort((a, b) => a - b);
}

function line(name: string, sorted: readonly number[]): void {
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);
  console.log(
    `${name.padEnd(44)} p50 ${p50.toFixed(3).padStart(8)} ms   p99 ${p99.toFixed(3).padStart(8)} ms   max ${sorted.at(-1)!.toFixed(3).padStart(8)} ms`,
  );
}

const local = createLocalInvalidationBus();
line(`in-process bus, ${SUBSCRIBERS} listeners (baseline)`, await run(local, [local, local, local]));

const connections: RedisConnection[] = [];
const buses: InvalidationBus[] = [];
try {
  for (let index = 0; index <= SUBSCRIBERS; index++) {
    const connection = await openRedisConnection({
      url,
      keyPrefix,
      connectTimeoutMs: 2000,
      commandTimeoutMs: 2000,
    });
    if (connection.status !== "up") throw new Error(`Redis is not reachable at ${url}`);
    connections.push(connection);
    buses.push(await createRedisInvalidationBus({ connection }));
  }
  const [publisher, ...subscribers] = buses;
  const sorted = await run(publisher!, subscribers);
  line(`Redis pub/sub, ${SUBSCRIBERS} replicas (${MESSAGES} messages)`, sorted);
  const p99 = percentile(sorted, 99);
  console.log(`goal: p99 under 100 ms — ${p99 < 100 ? "met" : "NOT met"}`);
  if (p99 >= 100) process.exitCode = 1;
} finally {
  for (const bus of buses) await bus.close();
  for (const connection of connections) await connection.close();
}
