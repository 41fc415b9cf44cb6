/**
 * @module test/http/metrics-exposure
 * Safe defaults for exposure: the gateway binds loopback unless told otherwise; `/metrics` behind
 * `metrics.token` refuses unauthenticated scrapes; with `metrics.port` it moves to a listener of its own
 * that serves nothing else, and the gateway's port no longer has it.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { ConfigError, loadConfig, parseConfig } from "../../src/config/index.ts";
import { call } from "../support/gateway-client.ts";
import { startGateway } from "../support/start-gateway.ts";

const METRICS_TOKEN = "metrics-token-0123456789abcdef";

test("the gateway listens on loopback by default; BYOK_HOST and the metrics variables are read", () => {
  const defaults = parseConfig({});
  assert.equal(defaults.server.host, "127.0.0.1");
  assert.equal(defaults.metrics.port, undefined);
  assert.equal(defaults.metrics.token, undefined);
  const fromEnv = loadConfig({
    env: {
      BYOK_HOST: "0.0.0.0",
      BYOK_METRICS_TOKEN: METRICS_TOKEN,
      BYOK_METRICS_PORT: "9090",
      BYOK_METRICS_HOST: "10.0.0.5",
    },
  });
  assert.equal(fromEnv.server.host, "0.0.0.0");
  assert.equal(fromEnv.metrics.token?.reveal(), METRICS_TOKEN);
  assert.equal(fromEnv.metrics.port, 9090);
  assert.equal(fromEnv.metrics.host, "10.0.0.5");
  assert.doesNotMatch(JSON.stringify(fromEnv), new RegExp(METRICS_TOKEN));
  assert.throws(
    () => parseConfig({ server: { port: 8080 }, metrics: { port: 8080 } }),
    (error: unknown) => error instanceof ConfigError && /metrics\.port: must differ/.test(error.message),
  );
  assert.throws(() => parseConfig({ metrics: { token: "short" } }), /metrics\.token must be at least 16/);
});

test("with metrics.token, /metrics refuses a scrape without the token and answers one with it", async () => {
  const gateway = await startGateway({ config: { metrics: { token: METRICS_TOKEN } } });
  try {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Bearer wrong-token-0123456789" },
      { authorization: METRICS_TOKEN },
    ];
    for (const headers of attempts) {
      const refused = await call(gateway, "GET", "/metrics", { headers });
      assert.equal(refused.status, 401);
      assert.equal((refused.body as { error: { type: string } }).error.type, "invalid_metrics_token");
      assert.match(refused.headers.get("www-authenticate") ?? "", /^Bearer/);
      assert.doesNotMatch(refused.text, /byok_/);
    }
    const scraped = await call(gateway, "GET", "/metrics", {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    assert.equal(scraped.status, 200);
    assert.match(scraped.headers.get("content-type") ?? "", /^text\/plain/);
    assert.match(scraped.text, /^# HELP byok_/m);
    assert.equal((await call(gateway, "GET", "/healthz")).status, 200);
  } finally {
    await gateway.close();
  }
});

test("with metrics.port, /metrics has a listener of its own that serves only /metrics", async () => {
  let address: AddressInfo | undefined;
  const gateway = await startGateway({
    config: { metrics: { port: 0, token: METRICS_TOKEN } },
    onMetricsListening: (listening) => {
      address = listening;
    },
  });
  try {
    assert.ok(address !== undefined, "the metrics listener reported its address");
    assert.equal(address.address, "127.0.0.1");
    const onGateway = await call(gateway, "GET", "/metrics", {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    assert.equal(onGateway.status, 404);
    const base = `http://127.0.0.1:${address.port}`;
    const authorization = `Bearer ${METRICS_TOKEN}`;
    const scraped = await fetch(`${base}/metrics`, { headers: { authorization } });
    assert.equal(scraped.status, 200);
    assert.match(await scraped.text(), /^# HELP byok_/m);
    const refused = await fetch(`${base}/metrics`);
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { error: { type: string } }).error.type, "invalid_metrics_token");
    for (const [method, path] of [
      ["GET", "/healthz"],
      ["GET", "/v1/models"],
      ["POST", "/metrics"],
      ["GET", "/metrics/extra"],
    ] as const) {
      const other = await fetch(`${base}${path}`, { method, headers: { authorization } });
      assert.equal(other.status, 404, `${method} ${path}`);
      assert.equal(((await other.json()) as { error: { type: string } }).error.type, "not_found");
    }
  } finally {
    await gateway.close();
  }
  // Closed with the gateway.
  await assert.rejects(fetch(`http://127.0.0.1:${address.port}/metrics`));
});

test("a metrics port already in use fails the start instead of serving without metrics", async () => {
  let address: AddressInfo | undefined;
  const first = await startGateway({
    config: { metrics: { port: 0 } },
    onMetricsListening: (listening) => {
      address = listening;
    },
  });
  try {
    assert.ok(address !== undefined);
    await assert.rejects(startGateway({ config: { metrics: { port: address.port } } }), {
      code: "EADDRINUSE",
    });
  } finally {
    await first.close();
  }
});
