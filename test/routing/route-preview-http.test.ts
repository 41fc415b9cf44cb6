/**
 * @module test/routing/route-preview-http
 * GET /v1/byok/routes: each feature's route (and aliases) for the presented keys, by the same resolver model calls use
 * (checked against the X-BYOK-Route of a real call), a recovery path (stale keys stripped, never a 403).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { call } from "../support/gateway-client.ts";
import { type ModelGateway, startModelGateway, TEST_FEATURES } from "../support/model-gateway.ts";

const OPENAI_KEY = "sk-user-openai-preview-1111111111111111";
const CUSTOM_KEY = "sk-user-custom-preview-2222222222222222";

interface Entry {
  feature: string;
  aliases: string[];
  operation: string;
  source: string | null;
  provider: string | null;
  model: string | null;
  reason: string | null;
}
const entriesOf = (body: unknown) => (body as { features: Entry[] }).features;
const find = (entries: Entry[], feature: string) => entries.find((entry) => entry.feature === feature);

describe("GET /v1/byok/routes", () => {
  let env: ModelGateway;
  before(async () => {
    const summary = { ...TEST_FEATURES.summary, aliases: ["gpt-4o-mini", "meta-llama/Llama-3.1-8B"] };
    env = await startModelGateway({ features: { ...TEST_FEATURES, summary } });
  });
  after(() => env.close());

  test("without keys: the operator's routes, and why a BYOK-only feature has none", async () => {
    const user = await env.user();
    const response = await call(env.gateway, "GET", "/v1/byok/routes", { token: user.token });
    assert.equal(response.status, 200, response.text);
    const entries = entriesOf(response.body);
    assert.deepEqual(find(entries, "summary"), {
      feature: "summary",
      aliases: ["gpt-4o-mini", "meta-llama/Llama-3.1-8B"],
      operation: "chat",
      source: "operator",
      provider: "openai",
      model: "gpt-4.1-mini",
      reason: null,
    });
    assert.deepEqual(find(entries, "embed"), {
      feature: "embed",
      aliases: [],
      operation: "embeddings",
      source: "operator",
      provider: "openai",
      model: "text-embedding-3-small",
      reason: null,
    });
    assert.deepEqual(find(entries, "premium"), {
      feature: "premium",
      aliases: [],
      operation: "chat",
      source: null,
      provider: null,
      model: null,
      reason: "byok_required",
    });
    assert.deepEqual(
      entries.map((entry) => entry.feature),
      ["summary", "agent", "embed", "premium"],
      "one entry per feature and operation it serves",
    );
  });

  test("with enrolled keys: BYOK-served where the user holds a key, custom first where allowed", async () => {
    const user = await env.user(
      { openai: OPENAI_KEY, custom: CUSTOM_KEY },
      { baseUrl: env.fakes.custom.baseUrl, model: "my-model" },
    );
    const response = await call(env.gateway, "GET", "/v1/byok/routes", {
      token: user.token,
      headers: user.headers,
    });
    assert.equal(response.status, 200, response.text);
    const entries = entriesOf(response.body);
    assert.equal(find(entries, "summary")?.source, "byok");
    assert.equal(find(entries, "premium")?.model, "gpt-4.1");
    assert.deepEqual(find(entries, "agent"), {
      feature: "agent",
      aliases: [],
      operation: "chat",
      source: "byok",
      provider: "custom",
      model: "my-model",
      reason: null,
    });
    // The same resolver as a model call: the preview names the route X-BYOK-Route reports.
    const served = await call(env.gateway, "POST", "/v1/chat/completions", {
      token: user.token,
      headers: user.headers,
      body: { model: "summary", messages: [{ role: "user", content: "hi" }] },
    });
    assert.equal(served.status, 200, served.text);
    const summary = find(entries, "summary")!;
    assert.equal(
      served.headers.get("x-byok-route"),
      `${summary.provider}/${summary.model}; source=${summary.source}`,
    );
  });

  test("is a recovery path: a key that does not match is stripped, not refused", async () => {
    const user = await env.user({ openai: OPENAI_KEY });
    const response = await call(env.gateway, "GET", "/v1/byok/routes", {
      token: user.token,
      headers: { "x-byok-openai": "sk-user-openai-drifted-3333333333333333" },
    });
    assert.equal(response.status, 200, response.text);
    assert.match(response.headers.get("x-byok-status") ?? "", /mismatched=openai/);
    assert.equal(find(entriesOf(response.body), "summary")?.source, "operator");
    assert.equal(find(entriesOf(response.body), "premium")?.reason, "byok_required");
  });
});
