/**
 * @module test/routing/preview-routes
 * The pure route preview: one entry per feature and operation its configured routes serve, each exactly
 * `resolveRoute`'s decision for that feature with these keys (BYOK, operator, or the error type as reason).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseConfig } from "../../src/config/index.ts";
import { SecretKey } from "../../src/keys/index.ts";
import { buildRoutingTable } from "../../src/pipeline/build-routing-table.ts";
import { createProviderRegistry } from "../../src/providers/index.ts";
import { previewRoutes, resolveRoute } from "../../src/routing/index.ts";
import { type ByokContext, noByokContext } from "../../src/validation/byok-context.ts";

const config = parseConfig({
  pepper: "preview-pepper-0123456789abcdef-0123456789",
  providers: { openai: { apiKey: "sk-operator-preview-000000000000" } },
  features: {
    notes: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }] },
    search: {
      needs: ["embeddings"],
      allowCustom: true,
      routes: [{ provider: "openai", model: "text-embedding-3-small" }],
    },
    transcribe: { routes: [{ provider: "deepgram", model: "nova-3" }] },
    own_endpoint: { allowCustom: true },
    premium: { routes: [{ provider: "openai", model: "gpt-4.1" }], operatorFallback: false },
  },
});
const table = buildRoutingTable(config, createProviderRegistry());

function withKeys(keys: ByokContext["keys"], custom: ByokContext["custom"] = null): ByokContext {
  return { ...noByokContext("u"), status: "active", keys, custom, statusHeader: "active" };
}

test("without keys: the operator where it may serve, the reason where nothing can", () => {
  const { features } = previewRoutes(table, noByokContext("u"));
  assert.deepEqual(
    features.map((entry) => [entry.feature, entry.operation, entry.source, entry.reason]),
    [
      ["notes", "chat", "operator", null],
      ["search", "embeddings", "operator", null],
      ["transcribe", "stt", null, "no_route"],
      // No enrolled custom endpoint means no model for it: resolveRoute's own no_route.
      ["own_endpoint", "chat", null, "no_route"],
      ["own_endpoint", "embeddings", null, "no_route"],
      ["premium", "chat", null, "byok_required"],
    ],
  );
});

test("with keys: each entry is resolveRoute's own decision", () => {
  const byok = withKeys(
    {
      deepgram: new SecretKey("dg-user-key-0000000000000000"),
      custom: new SecretKey("sk-custom-000000000000000"),
    },
    { baseUrl: "https://models.example.com/v1", model: "m" },
  );
  for (const entry of previewRoutes(table, byok).features) {
    const decision = resolveRoute(
      table,
      { model: entry.feature, operation: entry.operation, needs: [] },
      byok,
    );
    if (decision.ok) {
      assert.deepEqual(
        [entry.source, entry.provider, entry.model, entry.reason],
        [decision.route.source, decision.route.provider, decision.route.model, null],
      );
    } else {
      assert.deepEqual(
        [entry.source, entry.provider, entry.model, entry.reason],
        [null, null, null, decision.error],
      );
    }
  }
  const find = (feature: string, operation: string) =>
    previewRoutes(table, byok).features.find(
      (entry) => entry.feature === feature && entry.operation === operation,
    );
  assert.equal(find("transcribe", "stt")?.source, "byok");
  assert.equal(find("search", "embeddings")?.provider, "custom", "the custom endpoint first where allowed");
  assert.equal(find("own_endpoint", "chat")?.model, "m");
});
