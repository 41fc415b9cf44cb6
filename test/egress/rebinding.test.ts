/**
 * @module DNS rebinding, twice: a scripted resolver and a real DNS server on loopback (TTL 0). The
 * allowance 127.0.0.2/32 stands in for a public host; 127.0.0.1 is the internal server, which must
 * never see a request. Also: pooled sockets keep their vetted address; new sockets re-resolve.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  createEgressPolicy,
  createGuardedFetch,
  EgressError,
  validateBaseUrl,
} from "../../src/egress/index.ts";
import { startDnsServer } from "./support/loopback-dns-server.ts";
import { jsonHandler, type LoopbackServer, startServer } from "./support/loopback-server.ts";
import { scriptedResolver } from "./support/scripted-resolver.ts";

const host = "api.rebind.example";
let upstream: LoopbackServer;
let internal: LoopbackServer;

before(async () => {
  // Honours "x-close: 1" by closing the connection after the response, forcing a new socket next time.
  upstream = await startServer("127.0.0.2", (request, response) => {
    const close = request.headers["x-close"] === "1";
    response.writeHead(200, {
      "content-type": "application/json",
      ...(close ? { connection: "close" } : {}),
    });
    response.end(JSON.stringify({ server: "upstream" }));
  });
  internal = await startServer("127.0.0.1", jsonHandler("internal"));
});
after(async () => {
  await upstream.close();
  await internal.close();
});

const policyOptions = { allowCidrs: ["127.0.0.2/32"], allowHttpHosts: [host] } as const;

describe("DNS rebinding with a scripted resolver", () => {
  test("a validated URL that rebinds to an internal address is refused at connect", async () => {
    const resolver = scriptedResolver({ [host]: [["127.0.0.2"], ["127.0.0.1"]] });
    const policy = createEgressPolicy({ ...policyOptions, resolver: resolver.resolve });
    const guardedFetch = createGuardedFetch(policy);
    try {
      const verdict = await validateBaseUrl(`http://${host}:${internal.port}/v1`, policy);
      assert.equal(verdict.ok, true, "the validator saw the public answer");
      await assert.rejects(guardedFetch(`http://${host}:${internal.port}/v1/models`), {
        reason: "address_denied",
      });
      assert.equal(resolver.calls(host), 2, "the connection resolved again rather than reusing the verdict");
      assert.equal(internal.requests(), 0);
    } finally {
      await guardedFetch.close();
    }
  });

  test("a pooled socket stays on its vetted address; a new socket re-resolves and is re-checked", async () => {
    const resolver = scriptedResolver({ [host]: [["127.0.0.2"], ["127.0.0.1"]] });
    // One socket per origin, so the second request is queued onto the pooled socket deterministically.
    const guardedFetch = createGuardedFetch(
      createEgressPolicy({ ...policyOptions, resolver: resolver.resolve }),
      {
        maxConnectionsPerOrigin: 1,
      },
    );
    const url = `http://${host}:${upstream.port}/v1/models`;
    try {
      const before = upstream.requests();
      assert.deepEqual(await (await guardedFetch(url)).json(), { server: "upstream" });
      // The answer has changed, but the pooled socket was vetted for 127.0.0.2 and stays there.
      const pooled = await guardedFetch(url, { headers: { "x-close": "1" } });
      assert.deepEqual(await pooled.json(), { server: "upstream" });
      assert.equal(resolver.calls(host), 1, "a pooled socket does not resolve again");
      assert.equal(upstream.requests(), before + 2);
      // That response closed the socket: the next request needs a new one, which resolves again.
      await assert.rejects(guardedFetch(url), { reason: "address_denied" });
      assert.equal(resolver.calls(host), 2);
      assert.equal(internal.requests(), 0);
    } finally {
      await guardedFetch.close();
    }
  });
});

describe("DNS rebinding through a real DNS server on loopback (TTL 0)", () => {
  test("public, then internal: the validator passes, the connection is refused, internal sees nothing", async () => {
    const dns = await startDnsServer((name, index) =>
      name === host ? [index === 0 ? "127.0.0.2" : "127.0.0.1"] : [],
    );
    const policy = createEgressPolicy({ ...policyOptions, resolver: dns.resolver, rejectionCacheSize: 0 });
    const guardedFetch = createGuardedFetch(policy);
    try {
      const verdict = await validateBaseUrl(`http://${host}:${internal.port}/v1`, policy);
      assert.ok(verdict.ok);
      assert.deepEqual(verdict.addresses, [{ address: "127.0.0.2", family: 4 }]);
      const failure = await guardedFetch(`http://${host}:${internal.port}/v1/models`).catch(
        (error: unknown) => error,
      );
      assert.ok(failure instanceof EgressError);
      assert.equal(failure.reason, "address_denied");
      assert.equal(dns.queries(host), 2, "each step asked the DNS server; nothing was cached");
      assert.equal(internal.requests(), 0);
      const again = await validateBaseUrl(`http://${host}:${internal.port}/v1`, policy);
      assert.equal(
        again.ok ? "ok" : again.reason,
        "address_denied",
        "control: the server now answers 127.0.0.1",
      );
    } finally {
      await guardedFetch.close();
      await dns.close();
    }
  });

  test("a connection made while the answer is public succeeds; after the flip, new sockets are refused", async () => {
    const dns = await startDnsServer((name, index) =>
      name === host ? [index === 0 ? "127.0.0.2" : "127.0.0.1"] : [],
    );
    const guardedFetch = createGuardedFetch(createEgressPolicy({ ...policyOptions, resolver: dns.resolver }));
    const url = `http://${host}:${upstream.port}/v1/models`;
    try {
      const response = await guardedFetch(url, { headers: { "x-close": "1" } });
      assert.deepEqual(await response.json(), { server: "upstream" });
      await assert.rejects(guardedFetch(url), { reason: "address_denied" });
      assert.equal(dns.queries(host), 2);
      assert.equal(internal.requests(), 0);
    } finally {
      await guardedFetch.close();
      await dns.close();
    }
  });

  test("unknown names from the real server deny with resolve_failed", async () => {
    const dns = await startDnsServer(() => []);
    try {
      const verdict = await validateBaseUrl("https://nothing.rebind.example/", { resolver: dns.resolver });
      assert.equal(verdict.ok ? "ok" : verdict.reason, "resolve_failed");
    } finally {
      await dns.close();
    }
  });
});
