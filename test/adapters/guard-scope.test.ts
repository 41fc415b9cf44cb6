/**
 * A guard that covers the whole app next to the mounted endpoints: the endpoints stay recovery paths
 * (a stale key is stripped, not refused) while the app's own routes refuse it. Fastify (the guard at the
 * root), Hono (the endpoints mounted first) and Connect (the endpoints first in the chain).
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import Fastify from "fastify";
import { Hono } from "hono";
import { byokFastify, byokFastifyEndpoints } from "../../src/fastify.ts";
import { byokHono, byokHonoEndpoints } from "../../src/hono.ts";
import { computeFingerprint, createNodeEndpoints, createNodeMiddleware } from "../../src/index.ts";
import { serveFetch } from "../support/serve-fetch.ts";
import { startGateway, type TestGateway } from "../support/start-gateway.ts";

let gateway: TestGateway;
let token: string;
before(async () => {
  gateway = await startGateway();
  token = (await gateway.byok.admin.users.create({ id: "scoped" })).token;
  await gateway.byok.enrollment.enroll("scoped", {
    fingerprints: { openai: computeFingerprint("sk-enrolled") },
  });
});
after(() => gateway.close());

const stale = () => ({ authorization: `Bearer ${token}`, "x-byok-openai": "sk-stale" });

async function check(url: string): Promise<void> {
  const recovery = await fetch(`${url}/v1/byok/enrollment`, { headers: stale() });
  assert.equal(recovery.status, 200);
  assert.equal(recovery.headers.get("x-byok-status"), "active; mismatched=openai");
  assert.equal(((await recovery.json()) as { active: boolean }).active, true);
  const own = await fetch(`${url}/mine`, { headers: stale() });
  assert.equal(own.status, 403);
  assert.equal(((await own.json()) as { error: { type: string } }).error.type, "byok_key_mismatch");
}

test("Fastify: byokFastify at the root leaves the mounted endpoints their recovery mode", async () => {
  const app = Fastify();
  await app.register(byokFastify, { byok: gateway.byok });
  await app.register(byokFastifyEndpoints, { byok: gateway.byok });
  app.get("/mine", async () => ({ ok: true }));
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  try {
    await check(url);
  } finally {
    await app.close();
  }
});

test("Hono: endpoints mounted before a guard on every path", async () => {
  const app = new Hono();
  app.route("/", byokHonoEndpoints(gateway.byok));
  app.use("*", byokHono(gateway.byok));
  app.get("/mine", (c) => c.json({ ok: true }));
  const served = await serveFetch((request) => app.fetch(request));
  try {
    await check(served.url);
  } finally {
    await served.close();
  }
});

test("Connect: endpoints first in the chain, the guard after them", async () => {
  const endpoints = createNodeEndpoints(gateway.byok);
  const guard = createNodeMiddleware(gateway.byok);
  const server = createServer((request, response) =>
    endpoints(request, response, () =>
      guard(request, response, () => {
        response.setHeader("content-type", "application/json");
        response.end('{"ok":true}');
      }),
    ),
  );
  server.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  try {
    await check(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
