/**
 * @module test/config/resilience-config
 * `resilience.breakers`: its defaults, its bounds reported with their path, and `enabled: false` giving a
 * gateway with no breaker state at all.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, parseConfig } from "../../src/config/index.ts";
import { startGateway } from "../support/start-gateway.ts";

test("the breakers are on by default: 5 failures in a row, 30 s open, one probe", () => {
  assert.deepEqual(parseConfig({}).resilience, {
    breakers: { enabled: true, failureThreshold: 5, openMs: 30_000, halfOpenProbes: 1 },
  });
  const tuned = parseConfig({ resilience: { breakers: { failureThreshold: 2, openMs: 50 } } });
  assert.deepEqual(tuned.resilience.breakers, {
    enabled: true,
    failureThreshold: 2,
    openMs: 50,
    halfOpenProbes: 1,
  });
});

test("out-of-range or unknown breaker settings are refused with their path", () => {
  for (const [breakers, path] of [
    [{ failureThreshold: 0 }, "resilience.breakers.failureThreshold"],
    [{ openMs: 5 }, "resilience.breakers.openMs"],
    [{ halfOpenProbes: 0 }, "resilience.breakers.halfOpenProbes"],
    [{ cooldown: 1 }, "resilience.breakers"],
  ] as const) {
    assert.throws(
      () => parseConfig({ resilience: { breakers } as never }),
      (error: unknown) => error instanceof ConfigError && error.message.includes(path),
      JSON.stringify(breakers),
    );
  }
});

test("with enabled: false every upstream is always allowed and nothing is kept", async () => {
  const gateway = await startGateway({
    config: { resilience: { breakers: { enabled: false, failureThreshold: 1 } } },
  });
  try {
    const { breakers } = gateway.byok;
    breakers.failed("openai|operator");
    breakers.failed("openai|operator");
    assert.equal(breakers.allow("openai|operator"), true);
    assert.deepEqual(breakers.snapshot(), []);
  } finally {
    await gateway.close();
  }
});
