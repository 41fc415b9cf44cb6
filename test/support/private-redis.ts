/**
 * @module test/support/private-redis
 * A redis-server of a test's own (on a free port, no persistence), for what must not touch the shared one:
 * its eviction policy and memory limit, a FLUSHALL. Stopped (and awaited) by `stop`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { Redis } from "ioredis";

export interface PrivateRedis {
  readonly url: string;
  /** A plain client for assertions and for filling memory. */
  readonly client: Redis;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** Starts `redis-server` with `args` added (e.g. `--maxmemory-policy allkeys-lru`); ready within 10 s. */
export async function startPrivateRedis(args: readonly string[]): Promise<PrivateRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...args],
    { stdio: "ignore" },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => {});
  const deadline = performance.now() + 10_000;
  for (;;) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch (error) {
      client.disconnect();
      if (child.exitCode !== null || performance.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`redis-server on port ${port} did not start (${String(error)})`);
      }
      await delay(25);
    }
  }
  return {
    url,
    client,
    async stop() {
      client.disconnect();
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
