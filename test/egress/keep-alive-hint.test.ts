/**
 * @module test/egress/keep-alive-hint
 * An upstream's `Keep-Alive: timeout=600` cannot hold a pooled socket past the gateway's own idle limit
 * (undici honours the hint up to `keepAliveMaxTimeout`, 600 s unless set): a raw loopback server that never
 * closes a socket itself sees the gateway close it at its limit, on the guarded fetch and the upstream pools.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { after, before, test } from "node:test";
import { createEgressPolicy, createGuardedFetch, createUpstreamClient } from "../../src/egress/index.ts";
import { defaultEgressLimits } from "../../src/egress/parse-egress-limits.ts";

const HOST = "127.0.0.2";
let server: net.Server;
let port = 0;
/** Each socket the server accepted, with when its answer was written. */
const sockets: Array<{ readonly socket: net.Socket; answeredAt: number }> = [];

before(async () => {
  server = net.createServer((socket) => {
    const entry = { socket, answeredAt: 0 };
    sockets.push(entry);
    socket.on("error", () => {});
    socket.on("data", () => {
      socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\nkeep-alive: timeout=600\r\n\r\n{}");
      entry.answeredAt = performance.now();
    });
  });
  server.listen(0, HOST);
  await once(server, "listening");
  port = (server.address() as net.AddressInfo).port;
});
after(() => {
  for (const { socket } of sockets) socket.destroy();
  server.close();
});

const policy = createEgressPolicy({ allowCidrs: [`${HOST}/32`], allowHttpHosts: [HOST] });

/** How long after its answer the gateway closed the newest socket (rejects past `withinMs`). */
async function idleLifetime(withinMs: number): Promise<number> {
  const entry = sockets.at(-1);
  assert.ok(entry, "a socket was opened");
  const closed = once(entry.socket, "close");
  const limit = AbortSignal.timeout(withinMs);
  await Promise.race([
    closed,
    once(limit, "abort").then(() => assert.fail(`the idle socket is still open after ${withinMs} ms`)),
  ]);
  return performance.now() - entry.answeredAt;
}

test("guarded fetch: the hint cannot raise keepAliveTimeoutMs (300 ms)", async () => {
  const guarded = createGuardedFetch(policy, { keepAliveTimeoutMs: 300 });
  try {
    await (await guarded(`http://${HOST}:${port}/hint`)).text();
    const lifetime = await idleLifetime(3_000);
    assert.ok(lifetime < 2_000, `closed after ${lifetime} ms`);
  } finally {
    await guarded.close();
  }
});

test("upstream client, guarded pool (a user's endpoint): the hint cannot raise the 4 s idle limit", async () => {
  const client = createUpstreamClient({ policy });
  try {
    const response = await client.send({
      url: `http://${HOST}:${port}/hint`,
      guarded: true,
      method: "GET",
      headers: {},
      body: null,
      timeouts: { connectMs: 1000, headersMs: 2000, bodyIdleMs: 2000, totalMs: 5000 },
    });
    await response.body.text();
    const lifetime = await idleLifetime(defaultEgressLimits.keepAliveTimeoutMs + 3_000);
    assert.ok(lifetime < defaultEgressLimits.keepAliveTimeoutMs + 1_500, `closed after ${lifetime} ms`);
  } finally {
    await client.close();
  }
});
