/**
 * @module test/egress/trusted-url-targets
 * A configured (trusted) URL is parsed once and its origin and path reused (egress/create-upstream-client.ts):
 * every call still reaches exactly its own path and query, past the bound where the parsed URLs are let go,
 * and a user-named (guarded) URL is checked by the egress policy on every call, however often it was sent.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createEgressPolicy, createUpstreamClient, type UpstreamCall } from "../../src/egress/index.ts";
import { startServer } from "./support/loopback-server.ts";

const timeouts = { connectMs: 2000, headersMs: 2000, bodyIdleMs: 2000, totalMs: 5000 };

function post(url: string, guarded = false): UpstreamCall {
  return { url, guarded, method: "POST", headers: {}, body: "{}", timeouts };
}

test("each trusted call reaches its own path and query, repeated and past 1024 distinct URLs", async () => {
  const server = await startServer("127.0.0.1", (request, response) =>
    response.writeHead(200, { "content-type": "text/plain" }).end(request.url),
  );
  const client = createUpstreamClient({ policy: createEgressPolicy({}) });
  try {
    const seen = async (url: string) => (await client.send(post(url))).body.text();
    assert.equal(await seen(`${server.origin}/v1/chat/completions`), "/v1/chat/completions");
    assert.equal(await seen(`${server.origin}/v1/chat/completions`), "/v1/chat/completions");
    assert.equal(
      await seen(`${server.origin}/v1/models/m:generate?alt=sse`),
      "/v1/models/m:generate?alt=sse",
    );
    for (let index = 0; index < 1100; index++) {
      assert.equal(await seen(`${server.origin}/v1/m${index}?n=${index}`), `/v1/m${index}?n=${index}`);
    }
    assert.equal(await seen(`${server.origin}/v1/chat/completions`), "/v1/chat/completions");
    assert.equal(client.poolCount, 1);
  } finally {
    await client.close();
    await server.close();
  }
});

test("a guarded call is refused by the policy every time, after trusted calls to the same URL", async () => {
  const server = await startServer("127.0.0.1", (_request, response) => response.end("ok"));
  const client = createUpstreamClient({ policy: createEgressPolicy({}) });
  try {
    const url = `${server.origin}/v1/chat/completions`;
    assert.equal(await (await client.send(post(url))).body.text(), "ok");
    for (let attempt = 0; attempt < 2; attempt++) {
      await assert.rejects(client.send(post(url, true)), (error: Error & { reason?: string }) => {
        assert.equal(error.name, "EgressError");
        return true;
      });
    }
    assert.equal(server.requests(), 1);
  } finally {
    await client.close();
    await server.close();
  }
});
