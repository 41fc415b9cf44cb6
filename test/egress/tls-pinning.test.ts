/**
 * @module TLS through the pinned connector: the socket goes to the vetted address while SNI, the
 * certificate check and the Host header stay on the URL's host name; another name's certificate fails.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { TLSSocket } from "node:tls";
import {
  createEgressPolicy,
  createGuardedFetch,
  EgressError,
  type GuardedFetch,
} from "../../src/egress/index.ts";
import { type LoopbackServer, startServer } from "./support/loopback-server.ts";
import { scriptedResolver } from "./support/scripted-resolver.ts";
import { createThrowawayCa, type ThrowawayCa } from "./support/throwaway-ca.ts";

const pinnedHost = "api.pinned.example";
let ca: ThrowawayCa;
let server: LoopbackServer;
const seen: { servername: string | false | null; host: string | undefined }[] = [];

before(async () => {
  ca = createThrowawayCa();
  server = await startServer(
    "127.0.0.2",
    (request, response) => {
      seen.push({ servername: (request.socket as TLSSocket).servername, host: request.headers.host });
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ server: "pinned" }));
    },
    ca.issue(pinnedHost),
  );
});
after(async () => {
  await server.close();
  ca.dispose();
});

function pinnedFetch(trustCa: boolean): { guardedFetch: GuardedFetch; calls: (name?: string) => number } {
  const resolver = scriptedResolver({
    [pinnedHost]: [["127.0.0.2"]],
    "other.pinned.example": [["127.0.0.2"]],
  });
  const policy = createEgressPolicy({ resolver: resolver.resolve, allowCidrs: ["127.0.0.2/32"] });
  return {
    guardedFetch: createGuardedFetch(policy, trustCa ? { ca: ca.caCert } : {}),
    calls: resolver.calls,
  };
}

describe("TLS with a pinned address", () => {
  test("SNI, certificate and Host stay on the host name while the socket goes to the vetted address", async () => {
    const { guardedFetch, calls } = pinnedFetch(true);
    try {
      seen.length = 0;
      const response = await guardedFetch(`https://${pinnedHost}:${server.port}/v1/models`);
      assert.deepEqual(await response.json(), { server: "pinned" });
      assert.equal(calls(pinnedHost), 1);
      assert.deepEqual(seen, [{ servername: pinnedHost, host: `${pinnedHost}:${server.port}` }]);
    } finally {
      await guardedFetch.close();
    }
  });

  test("a certificate for another name fails, even though the address is vetted", async () => {
    const { guardedFetch, calls } = pinnedFetch(true);
    try {
      const before = server.requests();
      const failure = await guardedFetch(`https://other.pinned.example:${server.port}/`).catch(
        (error: unknown) => error,
      );
      assert.ok(failure instanceof EgressError);
      assert.equal(failure.reason, "tls_failed");
      assert.equal(calls("other.pinned.example"), 1, "the pinned lookup ran before the handshake");
      assert.equal(server.requests(), before, "no request was sent over the rejected connection");
    } finally {
      await guardedFetch.close();
    }
  });

  test("the IP literal is not a name on the certificate", async () => {
    const { guardedFetch } = pinnedFetch(true);
    try {
      await assert.rejects(guardedFetch(`https://127.0.0.2:${server.port}/`), { reason: "tls_failed" });
    } finally {
      await guardedFetch.close();
    }
  });

  test("without the test CA the certificate is untrusted", async () => {
    const { guardedFetch } = pinnedFetch(false);
    try {
      await assert.rejects(guardedFetch(`https://${pinnedHost}:${server.port}/`), { reason: "tls_failed" });
    } finally {
      await guardedFetch.close();
    }
  });
});
