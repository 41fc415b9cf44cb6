/**
 * @module test/library/key-pool-hooks.test
 * The composition root's key pool hooks with a real pino logger and Prometheus registry: one log line per
 * key event naming the connection and slot (warn for a 429, error for a refusal), the byok_operator_keys
 * gauge read from the pools on scrape, and no key in either.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SecretKey } from "../../src/keys/secret-key.ts";
import { createKeyPoolHooks } from "../../src/library/create-key-pool-hooks.ts";
import { createWeightedKeyPool } from "../../src/resilience/index.ts";
import { createLogger } from "../../src/telemetry/create-logger.ts";
import { createMetrics } from "../../src/telemetry/create-metrics.ts";
import { captureLogs } from "../support/start-gateway.ts";

test("key events become one log line each (slot, never key); the gauge counts each pool's keys by state", async () => {
  const captured = captureLogs();
  const metrics = createMetrics({ collectDefaults: false });
  const hooks = createKeyPoolHooks(
    createLogger({ level: "info", destination: captured.destination }),
    metrics,
  );
  let clock = 0;
  const pool = createWeightedKeyPool({
    connection: "azure-eu",
    keys: ["sk-hook-key-0-xxxxxxxx", "sk-hook-key-1-yyyyyyyy", "sk-hook-key-2-zzzzzzzz"].map((key) => ({
      key: new SecretKey(key),
      weight: 1,
    })),
    now: () => clock,
    onKeyEvent: hooks.onKeyEvent,
  });
  hooks.onPoolBuilt?.("azure-eu", pool);

  pool.rateLimited(1, 30_000);
  pool.rateLimited(1, 30_000);
  pool.refused(2);
  const lines = captured.logs.map(
    (line) => JSON.parse(line) as { level: number; keyPool: unknown; msg: string },
  );
  assert.deepEqual(
    lines.map((line) => [line.level, line.keyPool]),
    [
      [40, { connection: "azure-eu", slot: 1, event: "rate_limited", restMs: 30_000 }],
      [50, { connection: "azure-eu", slot: 2, event: "refused", restMs: 900_000 }],
    ],
  );
  const scrape = await metrics.registry.metrics();
  assert.match(scrape, /byok_operator_keys\{connection="azure-eu",state="available"\} 1/);
  assert.match(scrape, /byok_operator_keys\{connection="azure-eu",state="resting"\} 1/);
  assert.match(scrape, /byok_operator_keys\{connection="azure-eu",state="refused"\} 1/);
  clock += 30_000;
  assert.match(
    await metrics.registry.metrics(),
    /byok_operator_keys\{connection="azure-eu",state="available"\} 2/,
  );
  assert.equal(
    `${captured.logs.join("")}${scrape}`.includes("sk-hook-key"),
    false,
    "no key in logs or metrics",
  );
});
