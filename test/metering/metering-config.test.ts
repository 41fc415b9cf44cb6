/**
 * @module test/metering/metering-config
 * The reservation settings: documented defaults, a plan's own ceiling, and out-of-range values refused
 * with their path (never clamped).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ConfigError, loadConfig } from "../../src/config/index.ts";
import { createTempDir } from "../support/start-gateway.ts";

function load(yaml: string) {
  const file = join(createTempDir(), "c.yaml");
  writeFileSync(file, yaml);
  return loadConfig({ file, env: {} });
}

test("reservation settings default to a 4096-token ceiling, a 5 s wait, a 15 min lease and 1600 tokens a media part", () => {
  const config = loadConfig({ env: {} });
  assert.equal(config.metering.defaultMaxOutputTokens, 4096);
  assert.equal(config.metering.reservationWaitMs, 5000);
  assert.equal(config.metering.reservationLeaseMs, 900_000);
  assert.equal(config.metering.mediaPartInputTokens, 1600);
});

test("a plan sets its own ceiling", () => {
  const config = load(
    "plans:\n  free:\n    defaultMaxOutputTokens: 256\n    limits: [{ meter: tokens, period: day, limit: 10 }]\n",
  );
  assert.equal(config.plans.free?.defaultMaxOutputTokens, 256);
});

test("out-of-range reservation settings are refused with their path", () => {
  let error: unknown;
  try {
    load(
      "metering:\n  defaultMaxOutputTokens: -1\n  reservationWaitMs: 600000\n  reservationLeaseMs: 10\n" +
        "  mediaPartInputTokens: 0.5\n" +
        "plans:\n  free:\n    defaultMaxOutputTokens: 1.5\n",
    );
  } catch (caught) {
    error = caught;
  }
  assert.ok(error instanceof ConfigError, String(error));
  assert.deepEqual(error.issues.map((issue) => issue.path).sort(), [
    "metering.defaultMaxOutputTokens",
    "metering.mediaPartInputTokens",
    "metering.reservationLeaseMs",
    "metering.reservationWaitMs",
    "plans.free.defaultMaxOutputTokens",
  ]);
});
