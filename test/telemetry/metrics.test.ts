/**
 * @module test/telemetry/metrics
 * The gateway's Prometheus series: observeServedCall's values, the exact label sets, and that nothing
 * but stable codes (never a user id, key, model name or URL) reaches the exposition text.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  createMetrics,
  RATE_LIMIT_NAMES,
  type ServedCallObservation,
} from "../../src/telemetry/create-metrics.ts";

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses Prometheus text exposition (sample lines only). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

function sampleValue(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  const found = samples.filter(
    (sample) =>
      sample.name === name &&
      Object.keys(sample.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  assert.ok(found.length <= 1, `one series for ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

const CANARY = "usr_9f3c-canary-sk-ant-api03-Zx7Qw";

/** The label names each byok_ family may carry: exactly these, nothing more. */
const LABELS_BY_FAMILY: Readonly<Record<string, readonly string[]>> = {
  byok_egress_denied_total: ["reason"],
  byok_requests_total: ["feature", "operation", "provider", "source", "status"],
  byok_upstream_duration_seconds_bucket: ["le", "operation", "provider", "source"],
  byok_upstream_duration_seconds_sum: ["operation", "provider", "source"],
  byok_upstream_duration_seconds_count: ["operation", "provider", "source"],
  byok_tokens_total: ["direction", "provider", "source"],
  byok_audio_seconds_total: ["provider", "source"],
  byok_quota_rejections_total: ["meter"],
  byok_rate_limit_rejections_total: ["limit"],
  byok_usage_records_dropped_total: [],
  byok_stream_repairs_total: ["provider", "repair"],
  byok_answer_memory_bytes: [],
};

test("observeServedCall counts the request, its duration, tokens and audio", async () => {
  const metrics = createMetrics({ collectDefaults: false });
  const chat: ServedCallObservation = {
    operation: "chat",
    feature: "support-bot",
    provider: "openai",
    source: "operator",
    status: 200,
    latencyMs: 1_234,
    inputTokens: 12,
    outputTokens: 34,
    audioSeconds: null,
  };
  metrics.observeServedCall(chat);
  metrics.observeServedCall({ ...chat, latencyMs: 40, inputTokens: 8, outputTokens: 0 });
  metrics.observeServedCall({
    operation: "stt",
    feature: null,
    provider: "deepgram",
    source: "byok",
    status: 200,
    latencyMs: 3_000,
    inputTokens: null,
    outputTokens: null,
    audioSeconds: 7.5,
  });
  metrics.observeServedCall({ ...chat, operation: "messages", provider: "anthropic", status: 429 });
  const samples = parseExposition(await metrics.registry.metrics());

  const chatLabels = { operation: "chat", provider: "openai", source: "operator" };
  assert.equal(
    sampleValue(samples, "byok_requests_total", { ...chatLabels, feature: "support-bot", status: "200" }),
    2,
  );
  assert.equal(
    sampleValue(samples, "byok_requests_total", {
      operation: "stt",
      feature: "direct",
      provider: "deepgram",
      source: "byok",
      status: "200",
    }),
    1,
    "a direct call is labelled direct",
  );
  assert.equal(
    sampleValue(samples, "byok_requests_total", {
      operation: "messages",
      feature: "support-bot",
      provider: "anthropic",
      source: "operator",
      status: "429",
    }),
    1,
  );
  assert.equal(sampleValue(samples, "byok_upstream_duration_seconds_count", chatLabels), 2);
  assert.equal(sampleValue(samples, "byok_upstream_duration_seconds_sum", chatLabels), 1.274);
  assert.equal(
    sampleValue(samples, "byok_upstream_duration_seconds_bucket", { ...chatLabels, le: "0.005" }),
    0,
  );
  assert.equal(
    sampleValue(samples, "byok_upstream_duration_seconds_bucket", { ...chatLabels, le: "0.05" }),
    1,
  );
  assert.equal(
    sampleValue(samples, "byok_upstream_duration_seconds_bucket", { ...chatLabels, le: "2.5" }),
    2,
  );
  assert.equal(
    sampleValue(samples, "byok_upstream_duration_seconds_bucket", { ...chatLabels, le: "120" }),
    2,
  );
  assert.equal(
    sampleValue(samples, "byok_upstream_duration_seconds_bucket", { ...chatLabels, le: "+Inf" }),
    2,
  );
  const tokens = (provider: string, direction: string): number | undefined =>
    sampleValue(samples, "byok_tokens_total", { source: "operator", provider, direction });
  assert.equal(tokens("openai", "input"), 20);
  assert.equal(tokens("openai", "output"), 34);
  assert.equal(tokens("anthropic", "input"), 12);
  assert.equal(
    sampleValue(samples, "byok_tokens_total", { source: "byok", provider: "deepgram", direction: "input" }),
    undefined,
  );
  assert.equal(
    sampleValue(samples, "byok_audio_seconds_total", { source: "byok", provider: "deepgram" }),
    7.5,
  );
  assert.equal(
    sampleValue(samples, "byok_audio_seconds_total", { source: "operator", provider: "openai" }),
    undefined,
  );
});

test("rejections, dropped records and egress refusals; every limit's series exists at zero", async () => {
  const metrics = createMetrics({ collectDefaults: false });
  let samples = parseExposition(await metrics.registry.metrics());
  for (const limit of RATE_LIMIT_NAMES) {
    assert.equal(sampleValue(samples, "byok_rate_limit_rejections_total", { limit }), 0, limit);
  }
  assert.equal(sampleValue(samples, "byok_usage_records_dropped_total", {}), 0);

  metrics.rateLimitRejections.inc({ limit: "concurrent_streams" });
  metrics.quotaRejections.inc({ meter: "tokens" });
  metrics.usageRecordsDropped.inc();
  metrics.egressDenied.inc({ reason: "private_address" });
  samples = parseExposition(await metrics.registry.metrics());
  assert.equal(sampleValue(samples, "byok_rate_limit_rejections_total", { limit: "concurrent_streams" }), 1);
  assert.equal(sampleValue(samples, "byok_rate_limit_rejections_total", { limit: "requests_per_minute" }), 0);
  assert.equal(sampleValue(samples, "byok_quota_rejections_total", { meter: "tokens" }), 1);
  assert.equal(sampleValue(samples, "byok_usage_records_dropped_total", {}), 1);
  assert.equal(sampleValue(samples, "byok_egress_denied_total", { reason: "private_address" }), 1);
});

test("only stable codes reach the output: a wider record's user id, key, model and URL never do", async () => {
  const metrics = createMetrics({ collectDefaults: false });
  // What the pipeline has at hand when a call ends: more than metrics may read.
  const served = {
    operation: "chat",
    feature: null,
    provider: "openrouter",
    source: "byok",
    status: 200,
    latencyMs: 250,
    inputTokens: 5,
    outputTokens: 6,
    audioSeconds: null,
    userId: CANARY,
    model: `openrouter/${CANARY}`,
    key: `sk-or-v1-${CANARY}`,
    baseUrl: `https://${CANARY}.example.com/v1`,
    outcome: CANARY,
  } as const;
  metrics.observeServedCall(served);
  const text = await metrics.registry.metrics();
  assert.ok(!text.includes("canary"), "no free text from the call reaches the exposition");

  const samples = parseExposition(text);
  const families = new Set(samples.map((sample) => sample.name));
  for (const name of families) assert.ok(name in LABELS_BY_FAMILY, `a documented family: ${name}`);
  for (const sample of samples) {
    assert.deepEqual(Object.keys(sample.labels).sort(), LABELS_BY_FAMILY[sample.name], sample.name);
  }
  assert.equal(
    sampleValue(samples, "byok_requests_total", {
      operation: "chat",
      feature: "direct",
      provider: "openrouter",
      source: "byok",
      status: "200",
    }),
    1,
  );
});

test("missing or nonsensical numbers add nothing and never throw", async () => {
  const metrics = createMetrics({ collectDefaults: false });
  metrics.observeServedCall({
    operation: "embeddings",
    feature: "search",
    provider: "gemini",
    source: "operator",
    status: 502,
    latencyMs: Number.NaN,
    inputTokens: -3,
    outputTokens: Number.POSITIVE_INFINITY,
    audioSeconds: -1,
  });
  const samples = parseExposition(await metrics.registry.metrics());
  const labels = { operation: "embeddings", provider: "gemini", source: "operator" };
  assert.equal(
    sampleValue(samples, "byok_requests_total", { ...labels, feature: "search", status: "502" }),
    1,
  );
  assert.equal(sampleValue(samples, "byok_upstream_duration_seconds_count", labels), undefined);
  assert.equal(samples.filter((sample) => sample.name === "byok_tokens_total").length, 0);
  assert.equal(samples.filter((sample) => sample.name === "byok_audio_seconds_total").length, 0);
});

test("absurd amounts add nothing: two 1e308 counts never make a counter Infinity, and scrapes go on", async () => {
  const metrics = createMetrics({ collectDefaults: false });
  const observe = (inputTokens: number, audioSeconds: number | null) =>
    metrics.observeServedCall({
      operation: "chat",
      feature: null,
      provider: "custom",
      source: "byok",
      status: 200,
      latencyMs: 5,
      inputTokens,
      outputTokens: 2,
      audioSeconds,
    });
  observe(1e308, 1e308);
  observe(1e308, 1e308);
  observe(1e12 + 1, null);
  observe(9, 1.5);
  for (let scrape = 0; scrape < 2; scrape++) {
    const samples = parseExposition(await metrics.registry.metrics());
    const labels = { source: "byok", provider: "custom" };
    assert.equal(sampleValue(samples, "byok_tokens_total", { ...labels, direction: "input" }), 9);
    assert.equal(sampleValue(samples, "byok_tokens_total", { ...labels, direction: "output" }), 8);
    assert.equal(sampleValue(samples, "byok_audio_seconds_total", labels), 1.5);
  }
});

test("default process metrics carry the byok_ prefix", async () => {
  const metrics = createMetrics();
  const samples = parseExposition(await metrics.registry.metrics());
  assert.ok(samples.some((sample) => sample.name === "byok_process_cpu_user_seconds_total"));
});
