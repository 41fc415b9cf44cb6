/**
 * @module test/routing/resolve-connections.test
 * Routing over named connections, as a pure function: whose key serves which kind, the connection's base
 * URL, headers and `responsesApi` on the route, capability precedence (route, connection, kind), and the
 * errors that name what to fix.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Capability } from "../../src/config/feature-schema.ts";
import { type GatewayConfigInput, parseConfig } from "../../src/config/index.ts";
import { type ProviderId, SecretKey } from "../../src/keys/index.ts";
import { buildRoutingTable, timeoutsFor } from "../../src/pipeline/build-routing-table.ts";
import { createProviderRegistry, type Operation } from "../../src/providers/index.ts";
import { type Route, resolveRoute } from "../../src/routing/index.ts";
import type { ByokContext } from "../../src/validation/byok-context.ts";

const CONFIG: GatewayConfigInput = {
  providers: { openai: { apiKey: "operator-openai" }, gemini: {} },
  connections: {
    "openai-eu": {
      kind: "openai",
      baseUrl: "https://eu.openai.example/v1",
      apiKey: "operator-openai-eu",
      headers: { "OpenAI-Organization": "org-eu-0001" },
    },
    local: {
      kind: "openai_compatible",
      baseUrl: "https://llm.example/v1",
      apiKey: "operator-local",
      timeouts: { headersMs: 1234 },
    },
    "local-responses": {
      kind: "openai_compatible",
      baseUrl: "https://llm2.example/v1",
      apiKey: "operator-local-2",
      responsesApi: true,
      capabilities: ["chat", "embeddings"],
    },
    keyless: { kind: "openai_compatible", baseUrl: "https://llm3.example/v1" },
    az: {
      kind: "azure",
      baseUrl: "https://r.openai.azure.com",
      apiKey: "operator-azure",
      apiVersion: "2024-10-21",
      deployments: { "text-embedding-3-small": "emb", "gpt-4o": "chat" },
    },
  },
  features: {
    eu: { routes: [{ connection: "openai-eu", model: "gpt-4.1-mini" }] },
    local_first: {
      routes: [
        { connection: "local", model: "llama" },
        { provider: "gemini", model: "gemini-2.5-flash" },
      ],
    },
    declared: {
      routes: [
        { connection: "local-responses", model: "qwen" },
        { connection: "local", model: "llama-vision", capabilities: ["chat", "vision"] },
      ],
    },
    azure_embed: { routes: [{ connection: "az", model: "text-embedding-3-small" }] },
    keyless_only: { routes: [{ connection: "keyless", model: "m" }] },
    keyless_no_fallback: { routes: [{ connection: "keyless", model: "m" }], operatorFallback: false },
  },
};

const config = parseConfig(CONFIG);
const table = buildRoutingTable(config, createProviderRegistry());

function byokOf(keys: readonly ProviderId[]): ByokContext {
  const held: Partial<Record<ProviderId, SecretKey>> = {};
  for (const id of keys) held[id] = new SecretKey(`user-key-${id}`);
  return {
    userId: "u",
    status: keys.length > 0 ? "active" : "none",
    inactiveReason: null,
    keys: held,
    custom: null,
    dropped: [],
    statusHeader: "",
  };
}

function served(
  model: string,
  keys: readonly ProviderId[] = [],
  operation: Operation = "chat",
  needs: readonly Capability[] = [],
): Route {
  const decision = resolveRoute(table, { model, operation, needs }, byokOf(keys));
  assert.ok(decision.ok, decision.ok ? "" : `${decision.error}: ${decision.message}`);
  return decision.route;
}

function refused(
  model: string,
  keys: readonly ProviderId[],
  operation: Operation,
  needs: readonly Capability[] = [],
) {
  const decision = resolveRoute(table, { model, operation, needs }, byokOf(keys));
  assert.equal(decision.ok, false);
  return decision.ok ? assert.fail() : decision;
}

describe("routing over named connections", () => {
  test("a user's OpenAI key serves a kind: openai connection, at its base URL with its headers", () => {
    const route = served("eu", ["openai"]);
    assert.equal(route.connection, "openai-eu");
    assert.equal(route.provider, "openai");
    assert.equal(route.source, "byok");
    assert.equal(route.key.reveal(), "user-key-openai");
    assert.equal(route.baseUrl, "https://eu.openai.example/v1");
    assert.equal(route.headers["OpenAI-Organization"]?.reveal(), "org-eu-0001");
    assert.equal(route.responsesApi, true, "kind openai speaks the Responses API by default");
    assert.equal(route.guarded, false);
  });

  test("without a user key the connection's own operator key serves it", () => {
    const route = served("eu");
    assert.equal(route.source, "operator");
    assert.equal(route.key.reveal(), "operator-openai-eu");
  });

  test("a user's key never serves an openai_compatible connection: the next route the key fits wins", () => {
    const route = served("local_first", ["openai", "gemini"]);
    assert.equal(route.connection, "gemini");
    assert.equal(route.source, "byok");
    assert.equal(route.key.reveal(), "user-key-gemini");
    assert.equal(route.responsesApi, false);
    // With no key for gemini, the operator backend serves on its own key, never the user's OpenAI key.
    const operator = served("local_first", ["openai"]);
    assert.equal(operator.connection, "local");
    assert.equal(operator.provider, "openai_compatible");
    assert.equal(operator.source, "operator");
    assert.equal(operator.key.reveal(), "operator-local");
  });

  test("capabilities: the route's own, else the connection's, else the kind's default", () => {
    // The connection declares embeddings: its route serves them.
    const embed = served("declared", [], "embeddings");
    assert.equal(embed.connection, "local-responses");
    assert.equal(embed.responsesApi, true, "declared on the connection");
    // The route declares vision for itself.
    assert.equal(served("declared", [], "chat", ["vision"]).model, "llama-vision");
    // openai_compatible assumes chat, streaming, tools and json_schema, not vision.
    const route = served("local_first", [], "chat", ["tools", "json_schema", "streaming"]);
    assert.equal(route.connection, "local");
    assert.equal(refused("local_first", [], "chat", ["vision"]).error, "no_route");
    // Azure: OpenAI's table by model name (an embedding model embeds).
    assert.equal(served("azure_embed", [], "embeddings").connection, "az");
  });

  test("the capability error names the route's and the connection's settings", () => {
    const decision = refused("local_first", [], "embeddings");
    assert.equal(decision.error, "no_route");
    assert.match(
      decision.message,
      /features\.local_first\.routes\[0\]\.capabilities or connections\.local\.capabilities; or features\.local_first\.routes\[1\]\.capabilities/,
    );
  });

  test("an operator backend without a key is named, never offered as bring-your-own-key", () => {
    const fallback = refused("keyless_only", ["openai"], "chat");
    assert.equal(fallback.error, "no_route");
    assert.match(fallback.message, /no operator key is configured for keyless/);
    const off = refused("keyless_no_fallback", ["openai"], "chat");
    assert.equal(off.error, "no_route");
    assert.match(off.message, /features\.keyless_no_fallback\.operatorFallback is false/);
  });

  test("a connection's own time limits apply to its routes; upstream.timeouts fill the rest", () => {
    const limits = timeoutsFor(config, served("local_first", ["openai"]));
    assert.equal(limits.headersMs, 1234);
    assert.equal(limits.connectMs, config.upstream.timeouts.connectMs);
    assert.equal(timeoutsFor(config, served("eu")).headersMs, config.upstream.timeouts.headersMs);
  });

  test("providers.* routes are unchanged: connection named by the provider id", () => {
    const route = served("local_first", ["gemini"]);
    assert.equal(route.connection, route.provider);
    assert.deepEqual(route.headers, {});
  });
});
