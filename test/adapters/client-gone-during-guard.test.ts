/**
 * @module test/adapters/client-gone-during-guard
 * A client that leaves while the adapter's guard is still authenticating it (a store or JWKS round trip):
 * the request context's signal is already aborted when the app's handler runs, so its model calls end at
 * once. Before, the signal listened for a `close` that had already been emitted, and never aborted.
 */
import assert from "node:assert/strict";
import { createServer, request as httpRequest, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import Fastify from "fastify";
import { createByokHooks } from "../../src/fastify.ts";
import { type Byok, createNodeMiddleware, currentContext } from "../../src/index.ts";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";

let env: ModelGateway;
before(async () => {
  env = await startModelGateway();
});
after(() => env.close());

/**
 * Holds the guard's authentication until the request's response has closed (its client left); `closeOn`
 * is called with each response as it arrives. Returns what to call to put authentication back.
 */
function holdAuthentication(byok: Byok) {
  const authenticate = byok.authenticate;
  const authenticating = Promise.withResolvers<void>();
  const closed = Promise.withResolvers<void>();
  byok.authenticate = async (...args) => {
    authenticating.resolve();
    await closed.promise;
    return authenticate.apply(byok, args);
  };
  return {
    authenticating: authenticating.promise,
    watch: (response: ServerResponse) => response.once("close", () => closed.resolve()),
    restore: () => {
      byok.authenticate = authenticate;
    },
  };
}

/** Sends a request, and destroys it once the guard is authenticating it. */
async function leaveDuringGuard(url: string, token: string, authenticating: Promise<void>): Promise<void> {
  const outgoing = httpRequest(url, { headers: { authorization: `Bearer ${token}` } });
  outgoing.on("error", () => {});
  outgoing.end();
  await authenticating;
  outgoing.destroy();
}

test("Node middleware: the context's signal is aborted when the handler runs after the client left", async () => {
  const user = await env.user({});
  const { byok } = env.gateway;
  const hold = holdAuthentication(byok);
  const guard = createNodeMiddleware(byok);
  const seen = Promise.withResolvers<AbortSignal | undefined>();
  const server = createServer((request, response) => {
    hold.watch(response);
    guard(request, response, () => seen.resolve(currentContext()?.signal));
  });
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    await leaveDuringGuard(`http://127.0.0.1:${port}/`, user.token, hold.authenticating);
    const signal = await seen.promise;
    assert.equal(signal?.aborted, true);
  } finally {
    hold.restore();
    server.closeAllConnections();
    server.close();
  }
});

test("Fastify hooks: the context's signal is aborted when the handler runs after the client left", async () => {
  const user = await env.user({});
  const { byok } = env.gateway;
  const hold = holdAuthentication(byok);
  const seen = Promise.withResolvers<AbortSignal | undefined>();
  const app = Fastify();
  app.addHook("onRequest", async (_request, reply) => {
    hold.watch(reply.raw);
  });
  app.get("/g", { ...createByokHooks(byok) }, async () => {
    seen.resolve(currentContext()?.signal);
    return "ok";
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  try {
    await leaveDuringGuard(`${url}/g`, user.token, hold.authenticating);
    const signal = await seen.promise;
    assert.equal(signal?.aborted, true);
  } finally {
    hold.restore();
    await app.close();
  }
});
