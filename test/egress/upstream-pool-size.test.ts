/**
 * @module test/egress/upstream-pool-size
 * The upstream pools' size is honoured and their queues are visible: a loopback server holds every request
 * until a given number arrived, and the pool's own counters (and the /metrics gauges read from them) are
 * checked while they are held — no timing involved.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import {
  createEgressPolicy,
  createUpstreamClient,
  type UpstreamCall,
  type UpstreamClient,
} from "../../src/egress/index.ts";
import { createMetrics } from "../../src/telemetry/index.ts";

const timeouts = { connectMs: 5000, headersMs: 30_000, bodyIdleMs: 30_000, totalMs: 60_000 };
const policy = createEgressPolicy({ allowCidrs: ["127.0.0.1/32"], allowHttpHosts: ["127.0.0.1"] });

/** A server that holds every response until `release()`; `arrived(n)` resolves once n requests are in. */
async function startHoldingServer() {
  const held: ServerResponse[] = [];
  const sockets = new Set<unknown>();
  const waiters: { count: number; resolve: () => void }[] = [];
  let released = false;
  const server: Server = createServer((request, response) => {
    sockets.add(request.socket);
    request.resume();
    if (released) return void response.end("ok");
    held.push(response);
    for (const waiter of waiters.filter((entry) => held.length >= entry.count)) waiter.resolve();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    sockets: () => sockets.size,
    arrived: (count: number) =>
      held.length >= count
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ count, resolve })),
    release() {
      released = true;
      for (const response of held.splice(0)) response.end("ok");
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

function sendMany(client: UpstreamClient, count: number, call: UpstreamCall): Promise<string[]> {
  return Promise.all(Array.from({ length: count }, async () => (await client.send(call)).body.text()));
}

function post(url: string, overrides: Partial<UpstreamCall> = {}): UpstreamCall {
  return { url, guarded: false, method: "POST", headers: {}, body: "{}", timeouts, ...overrides };
}

describe("the upstream pools' size", () => {
  test("300 concurrent held calls each get a socket of their own under the default size: none queued", async () => {
    const server = await startHoldingServer();
    const client = createUpstreamClient({ policy });
    try {
      const answers = sendMany(client, 300, post(`${server.origin}/v1/x`));
      await server.arrived(300);
      const [stats] = client.poolStats();
      assert.deepEqual(
        { label: stats?.label, connected: stats?.connected, running: stats?.running, queued: stats?.queued },
        { label: "default", connected: 300, running: 300, queued: 0 },
      );
      server.release();
      assert.equal((await answers).length, 300);
      assert.equal(server.sockets(), 300);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test("a connection's maxConnections caps its pool; the rest queue, visible in the pool gauges", async () => {
    const server = await startHoldingServer();
    const client = createUpstreamClient({ policy });
    const metrics = createMetrics({ collectDefaults: false });
    metrics.watchUpstreamPools(client.poolStats);
    const pool = { label: "small-backend", maxConnections: 10, http2: false };
    try {
      const answers = sendMany(client, 30, post(`${server.origin}/v1/x`, { pool }));
      await server.arrived(10);
      const text = await metrics.registry.metrics();
      const line = (name: string, state: string) =>
        new RegExp(`^${name}\\{connection="small-backend",state="${state}"\\} (\\d+)$`, "m").exec(text)?.[1];
      assert.equal(line("byok_upstream_pool_connections", "connected"), "10");
      assert.equal(line("byok_upstream_pool_requests", "running"), "10");
      assert.equal(line("byok_upstream_pool_requests", "queued"), "20");
      assert.match(text, /^byok_upstream_pools\{connection="small-backend"\} 1$/m);
      server.release();
      assert.equal((await answers).length, 30);
      assert.equal(server.sockets(), 10, "never more sockets than the connection allows");
    } finally {
      await client.close();
      await server.close();
    }
  });

  test("user-named origins share one `custom` label, capped by customConnectionsPerOrigin; no URL in /metrics", async () => {
    const server = await startHoldingServer();
    const client = createUpstreamClient({ policy, customConnectionsPerOrigin: 4 });
    const metrics = createMetrics({ collectDefaults: false });
    metrics.watchUpstreamPools(client.poolStats);
    // A guarded call's own pool settings are the guard's: a label or HTTP/2 it names is ignored.
    const claimed = { label: "openai", maxConnections: 1000, http2: true };
    try {
      const answers = sendMany(client, 6, post(`${server.origin}/v1/x`, { guarded: true, pool: claimed }));
      await server.arrived(4);
      const text = await metrics.registry.metrics();
      assert.match(text, /^byok_upstream_pool_requests\{connection="custom",state="queued"\} 2$/m);
      assert.doesNotMatch(text, /openai|127\.0\.0\.1/);
      server.release();
      assert.equal((await answers).length, 6);
      assert.equal(server.sockets(), 4);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
