/**
 * @module test/support/test-redis
 * The shared Redis for tests: reachable or a failure saying how to start it, a random key prefix per run,
 * and cleanup of exactly that prefix (never FLUSHALL); `openQuotaFence` for tests that admit at once.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

export const REDIS_URL = process.env.BYOK_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const START_HINT =
  'start it with: redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no';

export interface TestRedis {
  readonly url: string;
  /** `byok-test-<random>:`, unique to this run. */
  readonly prefix: string;
  /** A plain client for assertions (scans, reads). */
  readonly client: Redis;
  /** Every key under the prefix. */
  keys(): Promise<string[]>;
  /** Deletes the prefix's keys and closes the client. */
  close(): Promise<void>;
}

export async function openTestRedis(url = REDIS_URL): Promise<TestRedis> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw new Error(`Redis is not reachable at ${url} (${String(error)}); ${START_HINT}`);
  }
  const prefix = `byok-test-${randomBytes(6).toString("hex")}:`;
  const keys = async () => {
    const found: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      found.push(...batch);
    } while (cursor !== "0");
    return found;
  };
  return {
    url,
    prefix,
    client,
    keys,
    async close() {
      const left = await keys();
      if (left.length > 0) await client.del(...left);
      client.disconnect();
    },
  };
}

/** Resolves once `connection` reports `status` (at once when it already does). */
export function waitForStatus(
  connection: { readonly status: string; onStatus(listener: (status: "up" | "down") => void): () => void },
  status: "up" | "down",
): Promise<void> {
  return new Promise((resolve) => {
    if (connection.status === status) return resolve();
    const stop = connection.onStatus((next) => {
      if (next !== status) return;
      stop();
      resolve();
    });
  });
}

/**
 * Writes the quota epoch of `prefix` as a fleet that has run on this Redis for a while leaves it: no grace
 * under way, so the first admission is not fenced (a fresh prefix is a first start, whose first seconds are).
 * Tests of the fence itself delete it (or every key of their prefix).
 */
export async function openQuotaFence(client: Redis, prefix: string): Promise<void> {
  await client.set(`${prefix}quota-epoch`, "test-epoch"); // no TTL, as the counters write it
}
