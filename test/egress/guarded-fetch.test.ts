/**
 * @module The guarded fetch end to end on loopback: the guarded lookup always runs, literals are
 * checked at connect, caller dispatchers and environment proxies never apply, errors stay safe.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Agent, EnvHttpProxyAgent, fetch, getGlobalDispatcher, request, setGlobalDispatcher } from "undici";
import {
  createEgressPolicy,
  createGuardedDispatcher,
  createGuardedFetch,
  type EgressDenyReason,
  EgressError,
  type EgressEventDetails,
} from "../../src/egress/index.ts";
import { jsonHandler, type LoopbackServer, startServer } from "./support/loopback-server.ts";
import { scriptedResolver } from "./support/scripted-resolver.ts";

let upstream: LoopbackServer;
let internal: LoopbackServer;

before(async () => {
  upstream = await startServer("127.0.0.2", jsonHandler("upstream"));
  internal = await startServer("127.0.0.1", jsonHandler("internal"));
});
after(async () => {
  await upstream.close();
  await internal.close();
});

function events() {
  const denied: [EgressDenyReason, EgressEventDetails][] = [];
  const blocked: [EgressDenyReason, EgressEventDetails][] = [];
  return {
    denied,
    blocked,
    observer: {
      onDenied: (reason: EgressDenyReason, details: EgressEventDetails) => denied.push([reason, details]),
      onBlockedConnection: (reason: EgressDenyReason, details: EgressEventDetails) =>
        blocked.push([reason, details]),
    },
  };
}

describe("guarded fetch on loopback", () => {
  test("a request to a named host runs the guarded lookup and connects to the vetted address", async () => {
    const resolver = scriptedResolver({ "api.egress.example": [["127.0.0.2"]] });
    const policy = createEgressPolicy({
      resolver: resolver.resolve,
      allowCidrs: ["127.0.0.2/32"],
      allowHttpHosts: ["api.egress.example"],
    });
    const guardedFetch = createGuardedFetch(policy);
    try {
      const response = await guardedFetch(`http://api.egress.example:${upstream.port}/v1/models`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { server: "upstream" });
      assert.equal(
        resolver.calls("api.egress.example"),
        1,
        "the request completed only through the guarded lookup",
      );
    } finally {
      await guardedFetch.close();
    }
  });

  test("a name resolving to an internal address is refused at connect, safely", async () => {
    const resolver = scriptedResolver({ "api.egress.example": [["127.0.0.1"]] });
    const seen = events();
    const policy = createEgressPolicy({
      resolver: resolver.resolve,
      allowHttpHosts: ["api.egress.example"],
      observer: seen.observer,
    });
    const guardedFetch = createGuardedFetch(policy);
    try {
      const failure = await guardedFetch(`http://api.egress.example:${internal.port}/`).then(
        () => assert.fail("expected a refusal"),
        (error: unknown) => error,
      );
      assert.ok(failure instanceof EgressError);
      assert.equal(failure.reason, "address_denied");
      assert.equal(failure.code, "address_denied");
      assert.doesNotMatch(`${failure.message} ${String(failure.cause)}`, /127\.0\.0\.1|internal/);
      assert.equal(internal.requests(), 0);
      assert.deepEqual(
        seen.blocked.map(([reason, details]) => [reason, details.address, details.rule]),
        [["address_denied", "127.0.0.1", "loopback"]],
      );
      assert.deepEqual(
        seen.denied.map(([reason, details]) => [reason, details.stage, details.host]),
        [["address_denied", "fetch", "api.egress.example"]],
      );
    } finally {
      await guardedFetch.close();
    }
  });

  test("one denied answer denies the connection even after an allowed one", async () => {
    const resolver = scriptedResolver({ "api.egress.example": [["127.0.0.2", "127.0.0.1"]] });
    const policy = createEgressPolicy({
      resolver: resolver.resolve,
      allowCidrs: ["127.0.0.2/32"],
      allowHttpHosts: ["api.egress.example"],
    });
    const guardedFetch = createGuardedFetch(policy);
    try {
      await assert.rejects(guardedFetch(`http://api.egress.example:${upstream.port}/`), {
        reason: "address_denied",
      });
      assert.equal(resolver.calls(), 1);
    } finally {
      await guardedFetch.close();
    }
  });

  test("an IPv4 literal is checked by the connector itself (no lookup runs for literals)", async () => {
    const resolver = scriptedResolver({});
    const seen = events();
    const policy = createEgressPolicy({
      resolver: resolver.resolve,
      allowHttpHosts: ["127.0.0.1"],
      observer: seen.observer,
    });
    const dispatcher = createGuardedDispatcher(policy);
    try {
      await assert.rejects(request(`http://127.0.0.1:${internal.port}/`, { dispatcher }), {
        name: "EgressError",
        reason: "address_denied",
      });
      assert.equal(internal.requests(), 0);
      assert.equal(resolver.calls(), 0);
      assert.deepEqual(
        seen.blocked.map(([reason, details]) => [reason, details.rule]),
        [["address_denied", "loopback"]],
      );
    } finally {
      await dispatcher.close();
    }
  });

  test("a bracketed IPv6 literal is checked by the connector; an exact allowance opens it", async () => {
    const ipv6 = await startServer("::1", jsonHandler("ipv6"));
    const strict = createGuardedDispatcher(createEgressPolicy({ allowHttpHosts: ["[::1]"] }));
    const open = createGuardedFetch(
      createEgressPolicy({ allowHttpHosts: ["[::1]"], allowCidrs: ["::1/128"] }),
    );
    try {
      await assert.rejects(request(`http://[::1]:${ipv6.port}/`, { dispatcher: strict }), {
        reason: "address_denied",
      });
      assert.equal(ipv6.requests(), 0);
      const response = await open(`http://[::1]:${ipv6.port}/`);
      assert.deepEqual(await response.json(), { server: "ipv6" });
      assert.equal(ipv6.requests(), 1);
    } finally {
      await strict.close();
      await open.close();
      await ipv6.close();
    }
  });

  test("the dispatcher refuses plain http for a host not on the http list, even when its address is allowed", async () => {
    const dispatcher = createGuardedDispatcher(createEgressPolicy({ allowCidrs: ["127.0.0.0/8"] }));
    try {
      await assert.rejects(request(`http://127.0.0.1:${internal.port}/`, { dispatcher }), {
        reason: "http_not_allowed",
      });
      assert.equal(internal.requests(), 0);
    } finally {
      await dispatcher.close();
    }
  });

  test("a caller-supplied dispatcher is refused before anything is sent", async () => {
    const guardedFetch = createGuardedFetch(
      createEgressPolicy({ allowCidrs: ["127.0.0.1/32"], allowHttpHosts: ["127.0.0.1"] }),
    );
    const other = new Agent();
    try {
      const init = { dispatcher: other } as RequestInit;
      await assert.rejects(guardedFetch(`http://127.0.0.1:${internal.port}/`, init), {
        reason: "dispatcher_not_allowed",
      });
      assert.equal(internal.requests(), 0);
    } finally {
      await other.close();
      await guardedFetch.close();
    }
  });

  test("environment proxies never apply to the guarded path", async () => {
    const previous = getGlobalDispatcher();
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, HTTPS_PROXY: process.env.HTTPS_PROXY };
    process.env.HTTP_PROXY = internal.origin;
    process.env.HTTPS_PROXY = internal.origin;
    setGlobalDispatcher(new EnvHttpProxyAgent());
    const resolver = scriptedResolver({ "api.egress.example": [["127.0.0.2"]] });
    const guardedFetch = createGuardedFetch(
      createEgressPolicy({
        resolver: resolver.resolve,
        allowCidrs: ["127.0.0.2/32"],
        allowHttpHosts: ["api.egress.example"],
      }),
    );
    try {
      const before = internal.requests();
      await assert.rejects(fetch(`${upstream.origin}/`), TypeError);
      assert.equal(
        internal.requests(),
        before + 1,
        "control: the environment proxy is live for the global path",
      );
      const response = await guardedFetch(`http://api.egress.example:${upstream.port}/`);
      assert.deepEqual(await response.json(), { server: "upstream" });
      assert.equal(internal.requests(), before + 1, "the proxy from the environment was not used");
    } finally {
      await guardedFetch.close();
      const proxyAgent = getGlobalDispatcher();
      setGlobalDispatcher(previous);
      await proxyAgent.close();
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  test("schemes other than http(s) are refused by the fetch without any I/O", async () => {
    const resolver = scriptedResolver({});
    const guardedFetch = createGuardedFetch(createEgressPolicy({ resolver: resolver.resolve }));
    try {
      for (const url of [
        "data:text/plain,hello",
        "file:///etc/passwd",
        "blob:https://a.example/x",
        "ftp://a.example/",
        "about:blank",
      ]) {
        await assert.rejects(guardedFetch(url), { reason: "scheme_not_allowed" }, url);
      }
      await assert.rejects(guardedFetch("not a url"), { reason: "url_invalid" });
      await assert.rejects(guardedFetch("https://user:secret@a.example/"), {
        reason: "userinfo_not_allowed",
      });
      assert.equal(resolver.calls(), 0);
    } finally {
      await guardedFetch.close();
    }
  });

  test("a Request input (from the global fetch) is sent with its method, headers and body", async () => {
    const echo = await startServer("127.0.0.2", (incoming, response) => {
      const chunks: Buffer[] = [];
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.on("end", () => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(
          JSON.stringify({
            method: incoming.method,
            marker: incoming.headers["x-marker"],
            body: Buffer.concat(chunks).toString(),
          }),
        );
      });
    });
    const guardedFetch = createGuardedFetch(
      createEgressPolicy({ allowCidrs: ["127.0.0.2/32"], allowHttpHosts: ["127.0.0.2"] }),
    );
    try {
      const input = new Request(`${echo.origin}/echo`, {
        method: "POST",
        headers: { "x-marker": "m1" },
        body: "hello",
      });
      const response = await guardedFetch(input);
      assert.deepEqual(await response.json(), { method: "POST", marker: "m1", body: "hello" });
    } finally {
      await guardedFetch.close();
      await echo.close();
    }
  });

  test("a refused connection to a closed port reports connect_failed without the address", async () => {
    const closed = await startServer("127.0.0.2", jsonHandler("closed"));
    const port = closed.port;
    await closed.close();
    const seen = events();
    const guardedFetch = createGuardedFetch(
      createEgressPolicy({
        allowCidrs: ["127.0.0.2/32"],
        allowHttpHosts: ["127.0.0.2"],
        observer: seen.observer,
      }),
    );
    try {
      const failure = await guardedFetch(`http://127.0.0.2:${port}/`).catch((error: unknown) => error);
      assert.ok(failure instanceof EgressError);
      assert.equal(failure.reason, "connect_failed");
      assert.doesNotMatch(failure.message, /127\.0\.0\.2/);
      assert.deepEqual(
        seen.denied.map(([reason, details]) => [reason, details.cause]),
        [["connect_failed", "ECONNREFUSED"]],
      );
    } finally {
      await guardedFetch.close();
    }
  });
});
