/**
 * @module test/adapters/fastify-endpoint-body-limit
 * The Fastify endpoints bound every body by `server.bodyLimitBytes`, whatever its content type and whatever
 * body limit the embedding app set for its own routes (an app that takes uploads raises it): a text body is
 * refused `413 payload_too_large` as the gateway refuses it, not read up to the app's limit.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { byokFastifyEndpoints } from "../../src/fastify.ts";
import { startGateway, type TestGateway } from "../support/start-gateway.ts";

let gateway: TestGateway;
let app: FastifyInstance;
let appUrl: string;
let token: string;
before(async () => {
  gateway = await startGateway({ config: { server: { bodyLimitBytes: 1024 } } });
  token = (await gateway.byok.admin.users.create({ id: "fastify-body-limit" })).token;
  app = Fastify({ bodyLimit: 64 * 1024 * 1024 }); // the app's own routes take uploads
  await app.register(byokFastifyEndpoints, { byok: gateway.byok, prefix: "/api" });
  appUrl = await app.listen({ port: 0, host: "127.0.0.1" });
});
after(async () => {
  await app.close();
  await gateway.close();
});

for (const [method, path] of [
  ["PUT", "/v1/byok/enrollment"],
  ["POST", "/v1/byok/heartbeat"],
] as const) {
  test(`${method} ${path}: a text body past server.bodyLimitBytes is refused as the gateway refuses it`, async () => {
    const init = {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "text/plain" },
      body: "x".repeat(512 * 1024),
    };
    const own = await fetch(`${gateway.url}${path}`, init);
    const mounted = await fetch(`${appUrl}/api${path}`, init);
    const [ownBody, mountedBody] = [await own.json(), await mounted.json()];
    assert.equal(own.status, 413);
    assert.deepEqual([mounted.status, mountedBody], [own.status, ownBody]);
  });
}
