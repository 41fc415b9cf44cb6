/**
 * @module test/http/trust-proxy
 * `server.trustProxy` as a list of the proxies' addresses: a client's address is the nearest one of
 * `X-Forwarded-For` not listed, so an address a client writes in the header itself (which a proxy that appends
 * passes on) cannot buy it a fresh budget of failed authentications.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { call, errorOf } from "../support/gateway-client.ts";
import { startGateway, type TestGateway } from "../support/start-gateway.ts";

describe("trustProxy as the proxies' addresses", () => {
  let gateway: TestGateway;
  before(async () => {
    gateway = await startGateway({
      config: {
        // The test's requests arrive from loopback: that hop is the proxy.
        server: { trustProxy: ["loopback"] },
        rateLimits: { anonymousRequestsPerMinute: 3 },
      },
    });
  });
  after(() => gateway.close());

  const failedLogin = (forwardedFor: string) =>
    call(gateway, "POST", "/v1/chat/completions", {
      token: "byok_not-a-real-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      headers: { "x-forwarded-for": forwardedFor },
      body: {},
    });

  test("addresses a client writes before the proxy's own entry are ignored", async () => {
    // What an appending proxy forwards: whatever the client sent, then the address it saw.
    const statuses = [];
    for (let attempt = 0; attempt < 5; attempt++)
      statuses.push((await failedLogin(`198.51.100.${attempt}, 203.0.113.9`)).status);
    assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
    assert.equal(errorOf(await failedLogin("192.0.2.1, 203.0.113.9")).code, "anonymous_requests_per_minute");
  });

  test("another client, seen by the proxy at another address, has a budget of its own", async () => {
    assert.equal((await failedLogin("203.0.113.77")).status, 401);
  });
});
