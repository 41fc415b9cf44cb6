/**
 * @module test/egress/upstream-client
 * The pooled upstream client: one pool per origin (never per key), bounded with the least recently used
 * closed, the guarded path pinned by the egress policy, and time and size limits as stable reasons.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  createEgressPolicy,
  createUpstreamClient,
  EgressError,
  toUpstreamFailure,
  type UpstreamCall,
  type UpstreamClient,
} from "../../src/egress/index.ts";
import { type LoopbackServer, startServer } from "./support/loopback-server.ts";

const timeouts = { connectMs: 2000, headersMs: 2000, bodyIdleMs: 2000, totalMs: 5000 };
const quietPolicy = createEgressPolicy({ allowCidrs: ["127.0.0.1/32"], allowHttpHosts: ["127.0.0.1"] });

function post(url: string, overrides: Partial<UpstreamCall> = {}): UpstreamCall {
  return { url, guarded: false, method: "POST", headers: {}, body: "{}", timeouts, ...overrides };
}

describe("the upstream client", () => {
  let servers: LoopbackServer[];
  let client: UpstreamClient;
  before(async () => {
    const answer = (name: string) => (_request: unknown, response: import("node:http").ServerResponse) =>
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ name }));
    servers = [await startServer("127.0.0.1", answer("a")), await startServer("127.0.0.1", answer("b"))];
  });
  after(async () => {
    await client?.close();
    await Promise.all(servers.map((server) => server.close()));
  });

  test("keeps one pool per origin, whatever key each call carries", async () => {
    client = createUpstreamClient({ policy: quietPolicy });
    for (const key of ["sk-one", "sk-two", "sk-three"]) {
      const response = await client.send(
        post(`${servers[0]!.origin}/v1/x`, { headers: { authorization: key } }),
      );
      assert.equal(JSON.parse(await response.body.text()).name, "a");
    }
    assert.equal(client.poolCount, 1);
    await client.close();
  });

  test("is bounded: beyond maxOrigins the least recently used pool is closed", async () => {
    client = createUpstreamClient({ policy: quietPolicy, maxOrigins: 1 });
    for (const server of [...servers, servers[0]!]) {
      const response = await client.send(post(`${server.origin}/v1/x`));
      await response.body.text();
      assert.equal(client.poolCount, 1);
    }
    await client.close();
  });

  test("guarded calls follow the egress policy: loopback is refused without an allowance", async () => {
    const refusing = createEgressPolicy({ allowHttpHosts: ["127.0.0.1"] });
    client = createUpstreamClient({ policy: refusing });
    const before = servers[0]!.requests();
    await assert.rejects(
      client.send(post(`${servers[0]!.origin}/v1/x`, { guarded: true })),
      (error: unknown) => {
        assert.ok(error instanceof EgressError);
        assert.equal(error.reason, "address_denied");
        return true;
      },
    );
    assert.equal(servers[0]!.requests(), before, "no request reached the server");
    // The same origin as a trusted (operator-configured) call is not subject to the user URL policy.
    const trusted = await client.send(post(`${servers[0]!.origin}/v1/x`));
    assert.equal(trusted.status, 200);
    await trusted.body.text();
    await client.close();
  });

  test("header time-out, size cap and redirects surface as stable reasons", async () => {
    const slow = await startServer("127.0.0.1", (request, response) => {
      if (request.url === "/big") response.end("x".repeat(4096));
      else if (request.url === "/moved") response.writeHead(302, { location: "http://127.0.0.1:1/" }).end();
      // "/slow" never answers
    });
    client = createUpstreamClient({ policy: quietPolicy, maxResponseBytes: 1024 });
    try {
      const reasonOf = async (promise: Promise<unknown>) => {
        try {
          const response = (await promise) as { body: { text(): Promise<string> } };
          await response.body.text();
          return "no error";
        } catch (error) {
          // Body errors are undici's own; the documented mapping turns them into reasons.
          return toUpstreamFailure(error).reason;
        }
      };
      const quick = { ...timeouts, headersMs: 150 };
      assert.equal(
        await reasonOf(client.send(post(`${slow.origin}/slow`, { timeouts: quick }))),
        "headers_timeout",
      );
      assert.equal(await reasonOf(client.send(post(`${slow.origin}/big`))), "response_too_large");
      assert.equal(
        await reasonOf(client.send(post(`${slow.origin}/moved`, { guarded: true }))),
        "redirect_refused",
      );
    } finally {
      await client.close();
      await slow.close();
    }
  });
});
