/**
 * @module test/egress/upstream-http2
 * HTTP/2 on a configured connection that asks for it: offered by ALPN over TLS, within the connection's
 * socket cap; HTTP/1.1 when the connection does not ask. (undici 7 runs one POST per session at a time
 * with pipelining 1: docs/configuration.md, `upstream.http2`.)
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { createSecureServer, type Http2SecureServer } from "node:http2";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { createEgressPolicy, createUpstreamClient, type UpstreamCall } from "../../src/egress/index.ts";
import { createThrowawayCa, type ThrowawayCa } from "./support/throwaway-ca.ts";

const timeouts = { connectMs: 5000, headersMs: 5000, bodyIdleMs: 5000, totalMs: 10_000 };
const policy = createEgressPolicy({ allowCidrs: ["127.0.0.0/8", "::1/128"] });
let ca: ThrowawayCa;
let server: Http2SecureServer;
let origin: string;

before(async () => {
  ca = createThrowawayCa();
  // Answers with the protocol version the request arrived on; HTTP/1.1 clients are served too.
  server = createSecureServer({ ...ca.issue("localhost"), allowHTTP1: true }, (request, response) => {
    request.resume();
    response.end(request.httpVersion);
  });
  server.listen(0, "localhost");
  await once(server, "listening");
  origin = `https://localhost:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.close();
  ca.dispose();
});

function post(overrides: Partial<UpstreamCall> = {}): UpstreamCall {
  return {
    url: `${origin}/v1/x`,
    guarded: false,
    method: "POST",
    headers: {},
    body: "{}",
    timeouts,
    ...overrides,
  };
}

describe("HTTP/2 to configured origins", () => {
  test("a connection with http2 speaks HTTP/2, 20 concurrent calls within its 8 sockets", async () => {
    const client = createUpstreamClient({ policy, ca: ca.caCert });
    const pool = { label: "h2-backend", maxConnections: 8, http2: true };
    try {
      const versions = await Promise.all(
        Array.from({ length: 20 }, async () => (await client.send(post({ pool }))).body.text()),
      );
      assert.deepEqual(new Set(versions), new Set(["2.0"]));
      assert.equal(client.poolStats()[0]?.connected, 8, "never more sessions than maxConnections");
    } finally {
      await client.close();
    }
  });

  test("without http2 (the default) the same origin is spoken to in HTTP/1.1", async () => {
    const client = createUpstreamClient({ policy, ca: ca.caCert });
    try {
      const response = await client.send(post());
      assert.equal(await response.body.text(), "1.1");
    } finally {
      await client.close();
    }
  });
});
