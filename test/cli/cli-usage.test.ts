/**
 * @module test/cli/cli-usage
 * `byok-gateway users set-plan` and `byok-gateway usage`, against the configuration's plans and a real
 * SQLite file with recorded usage.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { createByok } from "../../src/library/index.ts";
import { createLogger } from "../../src/telemetry/index.ts";
import { runCli } from "../support/run-cli.ts";
import { captureLogs, createTempDir } from "../support/start-gateway.ts";

test("set-plan checks the plan against the configuration; usage prints a user's report and usage over time", async () => {
  const dataDir = createTempDir();
  const configFile = join(dataDir, "byok.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      dataDir,
      features: { chat: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }] } },
      plans: { free: { limits: [{ meter: "requests", period: "month", limit: 30 }] }, pro: {} },
      defaultPlan: "free",
    }),
  );
  const withConfig = (args: string[]) => runCli([...args, "--config", configFile]);
  assert.equal((await withConfig(["users", "add", "ada"])).code, 0);

  const unknown = await withConfig(["users", "set-plan", "ada", "platinum"]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /No plan named "platinum"/);
  const missing = await withConfig(["users", "set-plan", "nobody", "pro"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No such user/);
  const moved = await withConfig(["users", "set-plan", "ada", "pro"]);
  assert.equal(moved.code, 0, moved.stderr);
  assert.match((await withConfig(["users", "list"])).stdout, /ada\tplan=pro/);
  assert.equal((await withConfig(["users", "set-plan", "ada", "default"])).code, 0);

  // Usage as the gateway records it.
  const byok = await createByok({
    config: { dataDir },
    logger: createLogger({ level: "silent", destination: captureLogs().destination }),
  });
  const at = Date.now();
  const record = {
    at,
    userId: "ada",
    feature: "chat",
    operation: "chat",
    provider: "openai",
    model: "gpt-4.1-mini",
  };
  const served = {
    status: 200,
    outcome: "ok",
    cachedInputTokens: 0,
    audioSeconds: 0,
    estimated: false,
    latencyMs: 12,
  };
  await byok.store.usage.append([
    { ...record, ...served, id: "cli-usage-1", source: "operator", inputTokens: 10, outputTokens: 5 },
    { ...record, ...served, id: "cli-usage-2", source: "byok", inputTokens: 7, outputTokens: 3 },
  ]);
  await byok.close();

  const report = await withConfig(["usage", "ada"]);
  assert.equal(report.code, 0, report.stderr);
  const parsed = JSON.parse(report.stdout) as {
    plan: string;
    limits: Array<{ meter: string; limit: number }>;
    usage: {
      byok: { requests: number; input_tokens: number };
      operator: { requests: number; output_tokens: number };
    };
  };
  assert.equal(parsed.plan, "free");
  assert.deepEqual(
    parsed.limits.map((limit) => [limit.meter, limit.limit]),
    [["requests", 30]],
  );
  assert.deepEqual([parsed.usage.byok.requests, parsed.usage.byok.input_tokens], [1, 7]);
  assert.deepEqual([parsed.usage.operator.requests, parsed.usage.operator.output_tokens], [1, 5]);

  const series = await withConfig(["usage", "--bucket", "day"]);
  assert.equal(series.code, 0, series.stderr);
  assert.match(series.stdout, /\tbyok\trequests=1\tinput_tokens=7\toutput_tokens=3/);
  assert.match(series.stdout, /\toperator\trequests=1\tinput_tokens=10\toutput_tokens=5/);

  const badRange = await withConfig(["usage", "--from", "not-a-date"]);
  assert.equal(badRange.code, 2);
  assert.match(badRange.stderr, /ISO dates/);
  assert.equal((await withConfig(["usage", "nobody"])).code, 1);
});
