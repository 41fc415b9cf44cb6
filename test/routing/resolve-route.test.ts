/** @module test/routing/resolve-route
 * SPEC §5 on the pure routing function, table-driven: candidate order, whose key serves, capability
 * filtering, operator fallback, the error types, direct `provider/model` calls and the route's fields. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Capability } from "../../src/config/feature-schema.ts";
import { type GatewayConfigInput, parseConfig } from "../../src/config/index.ts";
import { isProviderId, PROVIDER_IDS, type ProviderId, SecretKey } from "../../src/keys/index.ts";
import { createProviderRegistry, type Operation } from "../../src/providers/index.ts";
import { singleKeyPool } from "../../src/resilience/index.ts";
import {
  indexAliases,
  type OperatorProvider,
  type RouteErrorType,
  type RoutingTable,
  resolveRoute,
} from "../../src/routing/index.ts";
import type { ByokContext } from "../../src/validation/byok-context.ts";

const BASE_URLS = {
  openai: "https://openai.test/v1",
  openrouter: "https://openrouter.test/api/v1",
  gemini: "https://gemini.test/v1beta/openai",
} as const;
const CUSTOM_BASE_URL = "https://models.example.com/v1";

const FEATURES: NonNullable<GatewayConfigInput["features"]> = {
  notes: {
    allowCustom: true,
    routes: [
      { provider: "openai", model: "gpt-4.1-mini", params: { temperature: 0.2 } },
      { provider: "gemini", model: "gemini-2.5-flash", params: { max_tokens: 500 } },
    ],
  },
  summary: {
    routes: [
      { provider: "openai", model: "gpt-4.1-mini" },
      { provider: "gemini", model: "gemini-2.5-flash" },
    ],
  },
  upgrade: {
    byokRoutes: [
      { provider: "openrouter", model: "anthropic/claude-sonnet-4", params: { max_tokens: 4096 } },
    ],
    routes: [{ provider: "openai", model: "gpt-4.1-mini" }],
  },
  upgrade_only: {
    byokRoutes: [{ provider: "openrouter", model: "anthropic/claude-sonnet-4" }],
  },
  premium: {
    routes: [{ provider: "openai", model: "gpt-4.1" }],
    operatorFallback: false,
  },
  openrouter_only: {
    routes: [{ provider: "openrouter", model: "openai/gpt-4.1-mini" }],
  },
  agent: {
    needs: ["tools"],
    routes: [
      { provider: "openai", model: "gpt-4.1-mini", capabilities: ["chat", "streaming"] },
      { provider: "gemini", model: "gemini-2.5-flash" },
    ],
  },
  plain: {
    routes: [
      { provider: "openai", model: "gpt-4.1-mini", capabilities: ["chat", "streaming"] },
      { provider: "gemini", model: "gemini-2.5-flash" },
    ],
  },
  chat_only: {
    routes: [{ provider: "openai", model: "gpt-4.1-mini", capabilities: ["chat"] }],
  },
  custom_chat_only: {
    allowCustom: true,
    customCapabilities: ["chat"],
    routes: [{ provider: "gemini", model: "gemini-2.5-flash" }],
  },
  embed: {
    needs: ["embeddings"],
    allowCustom: true,
    routes: [
      { provider: "openai", model: "text-embedding-3-small" },
      { provider: "gemini", model: "gemini-embedding-001" },
    ],
  },
  cached: {
    promptCacheKey: "derive",
    routes: [{ provider: "openai", model: "gpt-4.1" }],
  },
};

type OperatorKeyed = "openai" | "openrouter" | "gemini";

interface TableOptions {
  /** Providers the operator holds a key for (default openai and gemini, not openrouter). */
  readonly operatorKeys?: readonly OperatorKeyed[];
  readonly allowDirect?: boolean;
}

/** Built the way the pipeline builds it: every registered provider, custom without a base URL or key. */
function tableOf(options: TableOptions = {}): RoutingTable {
  const operatorKeys = options.operatorKeys ?? ["openai", "gemini"];
  const providers: NonNullable<GatewayConfigInput["providers"]> = {};
  for (const id of ["openai", "openrouter", "gemini"] as const) {
    providers[id] = {
      baseUrl: BASE_URLS[id],
      ...(operatorKeys.includes(id) ? { apiKey: `operator-key-${id}` } : {}),
    };
  }
  const config = parseConfig({
    providers,
    features: FEATURES,
    routing: { allowDirect: options.allowDirect ?? true },
  });
  const registry = createProviderRegistry();
  const map = new Map<ProviderId, OperatorProvider>();
  for (const [id, adapter] of registry) {
    // The operator-only connection kinds (azure, openai_compatible) have no providers.* form.
    if (!isProviderId(id)) continue;
    const settings = config.providers[id];
    map.set(id, {
      baseUrl: id === "custom" ? null : (settings?.baseUrl ?? adapter.defaultBaseUrl),
      keys: id === "custom" || settings?.apiKey === undefined ? null : singleKeyPool(settings.apiKey),
    });
  }
  return {
    features: config.features,
    aliases: indexAliases(config.features),
    allowDirect: config.routing.allowDirect,
    defaultFeatures: config.routing.defaultFeatures,
    providers: map,
    registry,
  };
}

const USER_KEYS: Readonly<Record<ProviderId, SecretKey>> = Object.fromEntries(
  PROVIDER_IDS.map((id) => [id, new SecretKey(`user-key-${id}`)]),
) as Record<ProviderId, SecretKey>;

interface UserSetup {
  /** Providers the user holds a validated key for. */
  readonly keys?: readonly ProviderId[];
  /** The user's custom endpoint; its model null when neither enrolled nor sent. */
  readonly custom?: { readonly model: string | null };
}

function byokOf(user: UserSetup = {}): ByokContext {
  const keys: Partial<Record<ProviderId, SecretKey>> = {};
  for (const id of user.keys ?? []) keys[id] = USER_KEYS[id];
  const held = Object.keys(keys).length > 0;
  return {
    userId: "user-1",
    status: held ? "active" : "none",
    inactiveReason: null,
    keys,
    custom: user.custom ? { baseUrl: CUSTOM_BASE_URL, model: user.custom.model } : null,
    dropped: [],
    statusHeader: held ? "active" : "none",
  };
}

interface Served {
  readonly provider: ProviderId;
  readonly model: string;
  readonly source: "byok" | "operator";
  readonly params?: Readonly<Record<string, unknown>>;
  readonly feature?: string | null;
  readonly capabilities?: readonly Capability[];
}

interface Case {
  readonly name: string;
  readonly model: unknown;
  readonly operation?: Operation;
  readonly needs?: readonly Capability[];
  readonly user?: UserSetup;
  readonly table?: TableOptions;
  readonly expect: Served | { readonly error: RouteErrorType; readonly mentions?: string };
}

const cases: readonly Case[] = [
  // Custom first when allowed.
  {
    name: "the custom endpoint comes first when the feature allows it",
    model: "notes",
    user: { keys: ["custom", "openai", "gemini"], custom: { model: "my-llama" } },
    expect: { provider: "custom", model: "my-llama", source: "byok", params: {} },
  },
  {
    name: "custom is skipped when the feature does not allow it",
    model: "summary",
    user: { keys: ["custom", "gemini"], custom: { model: "my-llama" } },
    expect: { provider: "gemini", model: "gemini-2.5-flash", source: "byok" },
  },
  {
    name: "custom is skipped when the user has no custom model",
    model: "notes",
    user: { keys: ["custom"], custom: { model: null } },
    expect: { provider: "openai", model: "gpt-4.1-mini", source: "operator", params: { temperature: 0.2 } },
  },
  {
    name: "custom is skipped when the user holds no custom key",
    model: "notes",
    user: { keys: [], custom: { model: "my-llama" } },
    expect: { provider: "openai", model: "gpt-4.1-mini", source: "operator", params: { temperature: 0.2 } },
  },
  {
    name: "custom is skipped when the user has no custom endpoint at all",
    model: "notes",
    user: { keys: ["custom"] },
    expect: { provider: "openai", model: "gpt-4.1-mini", source: "operator" },
  },
  {
    name: "custom is never operator-served",
    model: "notes",
    user: {},
    expect: { provider: "openai", model: "gpt-4.1-mini", source: "operator", feature: "notes" },
  },
  // BYOK beats the operator, whatever the order.
  {
    name: "the user's key for a later route beats the operator's key for an earlier one",
    model: "notes",
    user: { keys: ["gemini"] },
    expect: { provider: "gemini", model: "gemini-2.5-flash", source: "byok", params: { max_tokens: 500 } },
  },
  {
    name: "the user's key for the first route is used for it",
    model: "notes",
    user: { keys: ["openai", "gemini"] },
    expect: { provider: "openai", model: "gpt-4.1-mini", source: "byok", params: { temperature: 0.2 } },
  },
  {
    name: "keys for providers no route names do not matter",
    model: "summary",
    user: { keys: ["openrouter", "anthropic", "deepgram"] },
    expect: { provider: "openai", model: "gpt-4.1-mini", source: "operator" },
  },
  // byokRoutes.
  {
    name: "a byokRoute is served on the user's key, before the routes",
    model: "upgrade",
    user: { keys: ["openrouter", "openai"] },
    expect: {
      provider: "openrouter",
      model: "anthropic/claude-sonnet-4",
      source: "byok",
      params: { max_tokens: 4096 },
    },
  },
  {
    name: "a byokRoute is never served on the operator's key, even when the operator holds one",
    model: "upgrade",
    user: {},
    table: { operatorKeys: ["openai", "openrouter", "gemini"] },
    expect: { provider: "openai", model: "gpt-4.1-mini", source: "operator" },
  },
  {
    name: "a feature with only byokRoutes needs the user's key: byok_required, operator key or not",
    model: "upgrade_only",
    user: { keys: ["openai"] },
    table: { operatorKeys: ["openai", "openrouter", "gemini"] },
    expect: { error: "byok_required", mentions: "openrouter" },
  },
  // Operator fallback.
  {
    name: "operatorFallback false: byok_required although the operator holds a key",
    model: "premium",
    user: { keys: ["gemini"] },
    expect: { error: "byok_required", mentions: "openai" },
  },
  {
    name: "operatorFallback false: served on the user's key",
    model: "premium",
    user: { keys: ["openai"] },
    expect: { provider: "openai", model: "gpt-4.1", source: "byok" },
  },
  {
    name: "no_route when the operator holds no key for the feature's route",
    model: "openrouter_only",
    user: { keys: ["openai"] },
    expect: { error: "no_route", mentions: "openrouter" },
  },
  {
    name: "no_route when the operator holds no key at all",
    model: "notes",
    user: {},
    table: { operatorKeys: [] },
    expect: { error: "no_route" },
  },
  {
    name: "the operator's first keyed route is used when it holds no key for the first",
    model: "notes",
    user: {},
    table: { operatorKeys: ["gemini"] },
    expect: {
      provider: "gemini",
      model: "gemini-2.5-flash",
      source: "operator",
      params: { max_tokens: 500 },
    },
  },
  // Capabilities.
  {
    name: "a feature needing tools never routes to a route declared without them (user key or not)",
    model: "agent",
    user: { keys: ["openai"] },
    expect: { provider: "gemini", model: "gemini-2.5-flash", source: "operator" },
  },
  {
    name: "a feature needing tools: the capable route on the user's key",
    model: "agent",
    user: { keys: ["openai", "gemini"] },
    expect: { provider: "gemini", model: "gemini-2.5-flash", source: "byok" },
  },
  {
    name: "a request using tools skips a route declared without them",
    model: "plain",
    needs: ["tools"],
    user: { keys: ["openai"] },
    expect: { provider: "gemini", model: "gemini-2.5-flash", source: "operator" },
  },
  {
    name: "a request using vision skips a route declared without it",
    model: "plain",
    needs: ["vision"],
    user: { keys: ["openai"] },
    expect: { provider: "gemini", model: "gemini-2.5-flash", source: "operator" },
  },
  {
    name: "a streaming request may use a route declared with streaming; declared capabilities are kept",
    model: "plain",
    needs: ["streaming"],
    user: { keys: ["openai"] },
    expect: {
      provider: "openai",
      model: "gpt-4.1-mini",
      source: "byok",
      capabilities: ["chat", "streaming"],
    },
  },
  {
    name: "a request using tools skips a custom endpoint the operator declared chat-only",
    model: "custom_chat_only",
    needs: ["tools"],
    user: { keys: ["custom"], custom: { model: "my-llama" } },
    expect: { provider: "gemini", model: "gemini-2.5-flash", source: "operator" },
  },
  {
    name: "a chat-only custom endpoint serves a plain request",
    model: "custom_chat_only",
    user: { keys: ["custom"], custom: { model: "my-llama" } },
    expect: { provider: "custom", model: "my-llama", source: "byok", capabilities: ["chat"] },
  },
  {
    name: "no capable route at all: no_route naming what is needed, even on the user's key",
    model: "chat_only",
    needs: ["tools"],
    user: { keys: ["openai"] },
    expect: { error: "no_route", mentions: "tools" },
  },
  // Embeddings.
  {
    name: "embeddings: the user's embeddings route",
    model: "embed",
    operation: "embeddings",
    user: { keys: ["gemini"] },
    expect: { provider: "gemini", model: "gemini-embedding-001", source: "byok" },
  },
  {
    name: "embeddings: operator fallback to the first embeddings route",
    model: "embed",
    operation: "embeddings",
    user: {},
    expect: { provider: "openai", model: "text-embedding-3-small", source: "operator" },
  },
  {
    name: "embeddings: the user's custom endpoint first",
    model: "embed",
    operation: "embeddings",
    user: { keys: ["custom", "openai"], custom: { model: "my-embedder" } },
    expect: { provider: "custom", model: "my-embedder", source: "byok" },
  },
  {
    name: "embeddings on a chat feature: no_route, even on the user's key",
    model: "summary",
    operation: "embeddings",
    user: { keys: ["openai", "gemini"] },
    expect: { error: "no_route" },
  },
  {
    name: "chat on an embeddings feature: no_route",
    model: "embed",
    operation: "chat",
    user: { keys: ["openai"] },
    expect: { error: "no_route" },
  },
  // model_not_found.
  ...[
    ["an unknown feature", "nope"],
    ["an unknown provider", "unknown/x"],
    ["a number", 42],
    ["null", null],
    ["undefined", undefined],
    ["an object", { feature: "notes" }],
    ["an array", ["notes"]],
    ["an empty string", ""],
    ["a provider without a model", "openai/"],
    ["a model without a provider", "/gpt-4o-mini"],
    ["an inherited property name", "constructor"],
    ["__proto__", "__proto__"],
    ["an over-long name", "x".repeat(301)],
  ].map(
    ([what, model]): Case => ({
      name: `model_not_found: ${String(what)}`,
      model,
      user: { keys: ["openai", "gemini", "openrouter", "custom"], custom: { model: "my-llama" } },
      expect: { error: "model_not_found" },
    }),
  ),
  // Direct provider/model.
  {
    name: "direct openai/gpt-4o-mini on the user's key",
    model: "openai/gpt-4o-mini",
    user: { keys: ["openai"] },
    expect: { provider: "openai", model: "gpt-4o-mini", source: "byok", params: {}, feature: null },
  },
  {
    name: "direct openai/gpt-4o-mini without the user's key: byok_required, never the operator's",
    model: "openai/gpt-4o-mini",
    user: { keys: ["gemini"] },
    table: { operatorKeys: ["openai", "openrouter", "gemini"] },
    expect: { error: "byok_required", mentions: "openai" },
  },
  {
    name: "direct calls disabled: model_not_found even with the user's key",
    model: "openai/gpt-4o-mini",
    user: { keys: ["openai"] },
    table: { allowDirect: false },
    expect: { error: "model_not_found" },
  },
  {
    name: "features still route when direct calls are disabled",
    model: "summary",
    user: { keys: ["openai"] },
    table: { allowDirect: false },
    expect: { provider: "openai", model: "gpt-4.1-mini", source: "byok" },
  },
  {
    name: "direct provider/model keeps every slash of the model",
    model: "openrouter/anthropic/claude-sonnet-4",
    user: { keys: ["openrouter"] },
    expect: { provider: "openrouter", model: "anthropic/claude-sonnet-4", source: "byok" },
  },
  {
    name: "direct custom/model on the user's endpoint, the request's model winning",
    model: "custom/my-model",
    user: { keys: ["custom"], custom: { model: "my-llama" } },
    expect: { provider: "custom", model: "my-model", source: "byok", feature: null },
  },
  {
    name: "direct custom/model without an endpoint: byok_required",
    model: "custom/my-model",
    user: { keys: ["custom"] },
    expect: { error: "byok_required" },
  },
  {
    name: "direct embeddings model for embeddings",
    model: "openai/text-embedding-3-small",
    operation: "embeddings",
    user: { keys: ["openai"] },
    expect: { provider: "openai", model: "text-embedding-3-small", source: "byok" },
  },
  {
    name: "direct embeddings model for chat: no_route",
    model: "openai/text-embedding-3-small",
    operation: "chat",
    user: { keys: ["openai"] },
    expect: { error: "no_route" },
  },
];

function run(entry: Case) {
  const table = tableOf(entry.table);
  const byok = byokOf(entry.user);
  const decision = resolveRoute(
    table,
    { model: entry.model, operation: entry.operation ?? "chat", needs: entry.needs ?? [] },
    byok,
  );
  return { table, byok, decision };
}

describe("resolveRoute", () => {
  for (const entry of cases) {
    test(entry.name, () => {
      const { table, byok, decision } = run(entry);
      const expected = entry.expect;
      if ("error" in expected) {
        assert.equal(
          decision.ok,
          false,
          `expected ${expected.error}, got a route: ${JSON.stringify(decision)}`,
        );
        if (decision.ok) return;
        assert.equal(decision.error, expected.error, decision.message);
        assert.ok(decision.message.length > 0);
        if (expected.mentions) assert.ok(decision.message.includes(expected.mentions), decision.message);
        return;
      }
      assert.equal(decision.ok, true, decision.ok ? "" : `${decision.error}: ${decision.message}`);
      if (!decision.ok) return;
      const { route } = decision;
      assert.equal(route.provider, expected.provider);
      assert.equal(route.model, expected.model);
      assert.equal(route.source, expected.source);
      // The key object itself: the user's validated key, or the operator's configured one.
      const key =
        expected.source === "byok"
          ? byok.keys[expected.provider]
          : table.providers.get(expected.provider)?.keys?.pick()?.key;
      assert.ok(key, "the expected key exists");
      assert.equal(route.key, key);
      assert.equal(
        route.key.reveal(),
        expected.source === "byok" ? `user-key-${expected.provider}` : `operator-key-${expected.provider}`,
      );
      // Operator keys never go to a user URL; user URLs only through the guard.
      assert.equal(route.guarded, expected.provider === "custom");
      assert.equal(
        route.baseUrl,
        expected.provider === "custom" ? CUSTOM_BASE_URL : BASE_URLS[expected.provider as OperatorKeyed],
      );
      if (expected.params) assert.deepEqual(route.params, expected.params);
      const modelName = String(entry.model);
      const feature = modelName.includes("/") ? null : modelName;
      assert.equal(route.feature, expected.feature !== undefined ? expected.feature : feature);
      if (expected.capabilities)
        assert.deepEqual([...route.capabilities].sort(), [...expected.capabilities].sort());
    });
  }

  test("the route carries the feature's prompt-cache mode; direct calls forward", () => {
    const table = tableOf();
    const byok = byokOf({ keys: ["openai"] });
    const modeOf = (model: string) => {
      const decision = resolveRoute(table, { model, operation: "chat", needs: [] }, byok);
      assert.ok(decision.ok);
      return decision.route.promptCacheKey;
    };
    assert.equal(modeOf("cached"), "derive");
    assert.equal(modeOf("summary"), "forward");
    assert.equal(modeOf("openai/gpt-4.1"), "forward");
  });

  test("route capabilities come from the capability table when the route declares none", () => {
    const decision = resolveRoute(
      tableOf(),
      { model: "summary", operation: "chat", needs: [] },
      byokOf({ keys: ["openai"] }),
    );
    assert.ok(decision.ok);
    assert.deepEqual([...decision.route.capabilities].sort(), [
      "chat",
      "json_schema",
      "streaming",
      "tools",
      "vision",
    ]);
  });

  test("the decision does not depend on the order keys were presented in", () => {
    const table = tableOf();
    const request = { model: "notes", operation: "chat" as const, needs: [] };
    const forward = resolveRoute(table, request, byokOf({ keys: ["gemini", "openai"] }));
    const backward = resolveRoute(table, request, byokOf({ keys: ["openai", "gemini"] }));
    assert.ok(forward.ok && backward.ok);
    assert.equal(forward.route.provider, "openai");
    assert.equal(backward.route.provider, "openai");
  });
});
