/**
 * @module test/config/upstream-pools-config.test
 * The upstream pools' settings: `upstream.maxConnectionsPerOrigin` and `upstream.http2` (defaults),
 * `maxConnections`/`http2` per connection and provider, `egress.maxConnectionsPerOrigin` for the custom
 * endpoint; every problem with its path; and each connection's pool as the pipeline hands it to egress.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError, parseConfig } from "../../src/config/index.ts";
import { buildUpstreamPools } from "../../src/pipeline/build-routing-table.ts";

function issuesOf(work: () => unknown): Array<{ path: string; message: string }> {
  try {
    work();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return [...error.issues];
  }
  assert.fail("expected a ConfigError");
}

describe("upstream pool configuration", () => {
  test("defaults: 1024 sockets per configured origin, 64 per user-named origin, HTTP/1.1", () => {
    const config = parseConfig({});
    assert.equal(config.upstream.maxConnectionsPerOrigin, 1024);
    assert.equal(config.upstream.http2, false);
    assert.equal(config.egress.maxConnectionsPerOrigin, 64);
    const pools = buildUpstreamPools(config);
    assert.deepEqual(pools.get("openai"), { label: "openai", maxConnections: 1024, http2: false });
    assert.equal(pools.has("custom"), false, "the custom endpoint's pools are the egress guard's own");
  });

  test("per connection and per provider settings override the upstream defaults", () => {
    const config = parseConfig({
      upstream: { maxConnectionsPerOrigin: 2048, http2: true },
      egress: { maxConnectionsPerOrigin: 8 },
      providers: { anthropic: { maxConnections: 300, http2: false } },
      connections: {
        "local-llm": { kind: "openai_compatible", baseUrl: "http://127.0.0.1:8000/v1", maxConnections: 16 },
        "openai-eu": { kind: "openai", http2: false },
      },
    });
    const pools = buildUpstreamPools(config);
    assert.deepEqual(pools.get("openai"), { label: "openai", maxConnections: 2048, http2: true });
    assert.deepEqual(pools.get("anthropic"), { label: "anthropic", maxConnections: 300, http2: false });
    assert.deepEqual(pools.get("local-llm"), { label: "local-llm", maxConnections: 16, http2: true });
    assert.deepEqual(pools.get("openai-eu"), { label: "openai-eu", maxConnections: 2048, http2: false });
    assert.equal(config.egress.maxConnectionsPerOrigin, 8);
  });

  test("every problem is reported with its path", () => {
    const issues = issuesOf(() =>
      parseConfig({
        upstream: { maxConnectionsPerOrigin: 0, http2: "yes" },
        egress: { maxConnectionsPerOrigin: 1.5 },
        providers: { openai: { maxConnections: 100_000 } },
        connections: {
          local: { kind: "openai_compatible", baseUrl: "http://127.0.0.1:1", maxConnections: -1 },
        },
      }),
    );
    assert.deepEqual(issues.map((issue) => issue.path).sort(), [
      "connections.local.maxConnections",
      "egress.maxConnectionsPerOrigin",
      "providers.openai.maxConnections",
      "upstream.http2",
      "upstream.maxConnectionsPerOrigin",
    ]);
  });

  test("the custom endpoint takes no pool settings of its own: egress.maxConnectionsPerOrigin sizes it", () => {
    const issues = issuesOf(() =>
      parseConfig({ providers: { custom: { maxConnections: 10, http2: true } } }),
    );
    assert.deepEqual(issues.map((issue) => issue.path).sort(), [
      "providers.custom.http2",
      "providers.custom.maxConnections",
    ]);
    for (const issue of issues) assert.match(issue.message, /egress\.maxConnectionsPerOrigin/);
  });
});
