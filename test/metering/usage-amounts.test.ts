/**
 * @module test/metering/usage-amounts
 * Usage amounts as the API shows them: audio seconds to the millisecond (no float artefacts from sums),
 * whole requests and tokens, and `/admin/usage` bucket starts as ISO timestamps, checked against the
 * gateway's own OpenAPI document.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { periodWindow } from "../../src/metering/period-window.ts";
import { roundMeterAmount } from "../../src/metering/round-meter-amount.ts";
import { addUser, call } from "../support/gateway-client.ts";
import { loadOpenApiChecker } from "../support/openapi-checker.ts";
import { ADMIN_TOKEN, startGateway } from "../support/start-gateway.ts";

test("roundMeterAmount keeps at most three decimals, moves a value by at most half a millisecond, keeps integers", () => {
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1e9, noNaN: true }), (value) => {
      const rounded = roundMeterAmount(value);
      assert.ok(Math.abs(rounded - value) <= 0.0005 + Number.EPSILON * value, `${value} → ${rounded}`);
      assert.match(String(rounded), /^\d+(\.\d{1,3})?(e[+-]\d+)?$/);
    }),
    { seed: 1507, numRuns: 2000, interruptAfterTimeLimit: 5000 },
  );
  fc.assert(
    fc.property(fc.nat(), (value) => roundMeterAmount(value) === value),
    { seed: 1508, numRuns: 500, interruptAfterTimeLimit: 2000 },
  );
});

test("usage reports, limits and /admin/usage show audio seconds without float artefacts and bucket starts as ISO", async () => {
  const gateway = await startGateway({
    config: {
      features: { listen: { needs: ["stt"], routes: [{ provider: "deepgram", model: "nova-3" }] } },
      plans: { free: { limits: [{ meter: "audio_seconds", period: "month", limit: 600 }] } },
      defaultPlan: "free",
    },
  });
  try {
    const token = await addUser(gateway, "ada");
    const at = gateway.clock.now();
    // Three takes whose float sum is 61.135999999999996, not 61.136.
    const seconds = [20.378, 20.379, 20.379];
    assert.notEqual(
      seconds.reduce((sum, value) => sum + value, 0),
      61.136,
    );
    await gateway.byok.store.usage.append(
      seconds.map((audioSeconds, index) => ({
        id: `audio-${index}`,
        at,
        userId: "ada",
        feature: "listen",
        operation: "listen",
        provider: "deepgram",
        model: "nova-3",
        source: "operator" as const,
        status: 200,
        outcome: "ok",
        inputTokens: 0,
        outputTokens: 0,
        cachedInputTokens: 0,
        audioSeconds,
        estimated: false,
        latencyMs: 5,
      })),
    );
    const periodStart = periodWindow("month", at).start;
    for (const amount of seconds) {
      const charged = await gateway.byok.store.counters.tryCharge([
        { key: { userId: "ada", meter: "audio_seconds", scope: "*", periodStart }, amount, limit: 600 },
      ]);
      assert.deepEqual(charged, { ok: true });
    }
    const checker = await loadOpenApiChecker(gateway.url);

    const report = await call(gateway, "GET", "/v1/usage", { token });
    assert.equal(report.status, 200, report.text);
    checker.checkResponse("/v1/usage", "GET", 200, report.body);
    const body = report.body as {
      limits: Array<{ meter: string; used: number; remaining: number }>;
      usage: { operator: { audio_seconds: number }; by_feature: Array<{ audio_seconds: number }> };
    };
    assert.deepEqual(
      body.limits.map(({ meter, used, remaining }) => ({ meter, used, remaining })),
      [{ meter: "audio_seconds", used: 61.136, remaining: 538.864 }],
    );
    assert.equal(body.usage.operator.audio_seconds, 61.136);
    assert.deepEqual(
      body.usage.by_feature.map((row) => row.audio_seconds),
      [61.136],
    );

    const series = await call(gateway, "GET", "/admin/usage?bucket=hour", {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(series.status, 200, series.text);
    checker.checkResponse("/admin/usage", "GET", 200, series.body);
    const rows = (series.body as { data: Array<{ bucketStart: unknown; audioSeconds: number }> }).data;
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.audioSeconds, 61.136);
    const hour = Math.floor(at / 3_600_000) * 3_600_000;
    assert.equal(rows[0]?.bucketStart, new Date(hour).toISOString());
  } finally {
    await gateway.close();
  }
});
