/** @module test/routing/configured-candidates-cache
 * A feature's configured candidates and plain needs are built once per table and feature
 * (routing/feature-candidates.ts): repeated requests resolve alike, and another table, or another
 * feature under the same name, is never answered from what an earlier one built. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type GatewayConfigInput, parseConfig } from "../../src/config/index.ts";
import { isProviderId, type ProviderId, SecretKey } from "../../src/keys/index.ts";
import { createProviderRegistry } from "../../src/providers/index.ts";
import { singleKeyPool } from "../../src/resilience/index.ts";
import {
  indexAliases,
  type OperatorProvider,
  type RoutingTable,
  resolveRoute,
} from "../../src/routing/index.ts";
import type { ByokContext } from "../../src/validation/byok-context.ts";

function tableOf(features: NonNullable<GatewayConfigInput["features"]>): RoutingTable {
  const config = parseConfig({
    providers: {
      openai: { baseUrl: "https://openai.test/v1", apiKey: "operator-key-openai" },
      gemini: { baseUrl: "https://gemini.test/v1beta/openai", apiKey: "operator-key-gemini" },
    },
    features,
  });
  const registry = createProviderRegistry();
  const providers = new Map<ProviderId, OperatorProvider>();
  for (const [id, adapter] of registry) {
    if (!isProviderId(id)) continue;
    const settings = config.providers[id];
    providers.set(id, {
      baseUrl: id === "custom" ? null : (settings?.baseUrl ?? adapter.defaultBaseUrl),
      keys: id === "custom" || settings?.apiKey === undefined ? null : singleKeyPool(settings.apiKey),
    });
  }
  return {
    features: config.features,
    aliases: indexAliases(config.features),
    allowDirect: false,
    defaultFeatures: config.routing.defaultFeatures,
    providers,
    registry,
  };
}

function byokWith(
  keys: Partial<Record<ProviderId, SecretKey>>,
  custom: ByokContext["custom"] = null,
): ByokContext {
  return {
    userId: "u1",
    status: "active",
    inactiveReason: null,
    keys,
    custom,
    dropped: [],
    statusHeader: "active",
  };
}

const OPENAI = { openai: new SecretKey("user-key-openai") };

function routeOf(table: RoutingTable, byok: ByokContext, needs: ("tools" | "vision")[] = []) {
  const decision = resolveRoute(table, { model: "notes", operation: "chat", needs }, byok);
  assert.ok(decision.ok, JSON.stringify(decision));
  return decision.route;
}

test("repeated requests on one table resolve alike, with and without needs of their own", () => {
  const table = tableOf({ notes: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }] } });
  const first = routeOf(table, byokWith(OPENAI));
  const again = routeOf(table, byokWith(OPENAI));
  assert.deepEqual({ ...again, key: again.key.fingerprint() }, { ...first, key: first.key.fingerprint() });
  assert.equal(routeOf(table, byokWith(OPENAI), ["tools"]).model, "gpt-4.1-mini");
  assert.equal(routeOf(table, byokWith({})).source, "operator");
});

test("another table, or another feature under the same name, gets its own candidates", () => {
  const before = tableOf({ notes: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }] } });
  assert.equal(routeOf(before, byokWith(OPENAI)).model, "gpt-4.1-mini");
  const after = tableOf({ notes: { routes: [{ provider: "gemini", model: "gemini-2.5-flash" }] } });
  assert.equal(routeOf(after, byokWith(OPENAI)).model, "gemini-2.5-flash");
  const replaced: RoutingTable = {
    ...before,
    features: { notes: { ...before.features.notes!, routes: after.features.notes!.routes } },
  };
  assert.equal(routeOf(replaced, byokWith(OPENAI)).provider, "gemini");
  assert.equal(routeOf(before, byokWith(OPENAI)).provider, "openai");
});

test("the custom endpoint's capabilities follow each user's declaration, the feature's ceiling otherwise", () => {
  const table = tableOf({
    notes: {
      allowCustom: true,
      customCapabilities: ["chat", "tools"],
      routes: [{ provider: "openai", model: "gpt-4.1-mini" }],
    },
  });
  const custom = { custom: new SecretKey("user-key-custom") };
  const undeclared = { baseUrl: "https://models.example.com/v1", model: "m" };
  assert.equal(routeOf(table, byokWith(custom, undeclared), ["tools"]).provider, "custom");
  const chatOnly = { ...undeclared, capabilities: ["chat" as const] };
  // Declared chat only: the custom endpoint cannot do tools, the operator's route serves instead.
  assert.equal(routeOf(table, byokWith(custom, chatOnly), ["tools"]).provider, "openai");
  assert.equal(routeOf(table, byokWith(custom, undeclared), ["tools"]).provider, "custom");
  assert.deepEqual([...routeOf(table, byokWith(custom, undeclared)).capabilities].sort(), ["chat", "tools"]);
});
