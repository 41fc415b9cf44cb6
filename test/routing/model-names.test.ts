/**
 * @module test/routing/model-names
 * Names on the pure resolver and the configuration: the precedence feature → alias → direct
 * `provider/model` → the ingress's default; the unknown-name message (bounded list, direct form, the
 * setting); and the start-time refusals (duplicate alias, alias = feature name, an alias that reads as
 * direct naming, a default naming a missing feature or one that cannot serve its ingress), each with its path.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError, type GatewayConfigInput, parseConfig } from "../../src/config/index.ts";
import type { Ingress } from "../../src/config/routing-schema.ts";
import { SecretKey } from "../../src/keys/index.ts";
import { buildRoutingTable } from "../../src/pipeline/index.ts";
import { createProviderRegistry } from "../../src/providers/index.ts";
import { LISTED_NAMES, type RouteDecision, resolveRoute } from "../../src/routing/index.ts";
import { type ByokContext, noByokContext } from "../../src/validation/byok-context.ts";

const FEATURES: NonNullable<GatewayConfigInput["features"]> = {
  summary: {
    aliases: ["gpt-4o-mini", "meta-llama/Llama-3.1-8B"],
    routes: [{ provider: "openai", model: "gpt-4.1-mini" }],
  },
  agent: { routes: [{ provider: "gemini", model: "gemini-2.5-flash" }] },
  embed: {
    aliases: ["text-embedding-3-small"],
    routes: [{ provider: "openai", model: "text-embedding-3-small" }],
  },
  transcribe: { aliases: ["nova-3"], routes: [{ provider: "deepgram", model: "nova-3" }] },
};

const registry = createProviderRegistry();

function tableOf(config: GatewayConfigInput = {}) {
  return buildRoutingTable(
    parseConfig({
      providers: {
        openai: { apiKey: "sk-operator" },
        gemini: { apiKey: "g-operator" },
        deepgram: { apiKey: "dg-op" },
      },
      features: FEATURES,
      ...config,
    }),
    registry,
  );
}

const withOpenAi: ByokContext = {
  ...noByokContext("u"),
  status: "active",
  keys: { openai: new SecretKey("sk-user") },
};

function resolve(
  table: ReturnType<typeof tableOf>,
  model: string,
  ingress: Ingress,
  byok: ByokContext = withOpenAi,
): RouteDecision {
  const operation = ingress === "embeddings" ? "embeddings" : ingress === "listen" ? "stt" : "chat";
  return resolveRoute(table, { model, operation, needs: [], ingress }, byok);
}

function routed(decision: RouteDecision): { feature: string | null; provider: string; model: string } {
  assert.ok(decision.ok, decision.ok ? "" : decision.message);
  return { feature: decision.route.feature, provider: decision.route.provider, model: decision.route.model };
}

function issuesOf(work: () => unknown): Array<{ path: string; message: string }> {
  try {
    work();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return [...error.issues];
  }
  return assert.fail("expected a ConfigError");
}

describe("name precedence", () => {
  const table = tableOf({ routing: { defaultFeatures: { chat: "agent", listen: "transcribe" } } });

  test("an alias is its feature: route.feature names the feature", () => {
    assert.deepEqual(routed(resolve(table, "gpt-4o-mini", "chat")), {
      feature: "summary",
      provider: "openai",
      model: "gpt-4.1-mini",
    });
    assert.equal(routed(resolve(table, "nova-3", "listen")).feature, "transcribe");
  });

  test("an alias with a slash whose prefix is no provider id is an alias", () => {
    assert.equal(routed(resolve(table, "meta-llama/Llama-3.1-8B", "chat")).feature, "summary");
  });

  test("direct provider/model comes before the default", () => {
    assert.deepEqual(routed(resolve(table, "openai/gpt-4o", "chat")), {
      feature: null,
      provider: "openai",
      model: "gpt-4o",
    });
  });

  test("names matching nothing go to the ingress's default; other ingresses keep their own", () => {
    assert.equal(routed(resolve(table, "gpt-5", "chat")).feature, "agent");
    assert.equal(routed(resolve(table, "unknown/model", "chat")).feature, "agent");
    assert.equal(routed(resolve(table, "nova-2", "listen")).feature, "transcribe");
    const embeddings = resolve(table, "ada-2", "embeddings");
    assert.equal(embeddings.ok, false, "no embeddings default");
  });

  test("with direct calls off, provider/model falls to the default", () => {
    const off = tableOf({ routing: { allowDirect: false, defaultFeatures: { chat: "agent" } } });
    assert.equal(routed(resolve(off, "openai/gpt-4o", "chat")).feature, "agent");
  });

  test("no ingress (library callers of resolveRoute): no default applies", () => {
    const decision = resolveRoute(table, { model: "gpt-5", operation: "chat", needs: [] }, withOpenAi);
    assert.equal(decision.ok, false);
  });

  test("an alias never resolves on an ingress its feature cannot serve", () => {
    const decision = resolve(table, "nova-3", "chat");
    assert.ok(!decision.ok);
    assert.equal(decision.error, "no_route");
  });
});

describe("the unknown-name message", () => {
  test("lists the features and aliases that serve this ingress, the direct form and the settings", () => {
    const decision = resolve(tableOf(), "gpt-5", "chat");
    assert.ok(!decision.ok);
    assert.equal(decision.error, "model_not_found");
    assert.equal(
      decision.message,
      "The model `gpt-5` is not a feature or alias of this app. Names that serve this request on the chat API: " +
        "summary, gpt-4o-mini (alias of summary), meta-llama/Llama-3.1-8B (alias of summary), agent. " +
        "Or name provider/model on your own key (provider: openai, anthropic, openrouter, gemini, custom). " +
        "To accept this name, the app's operator lists it in `features.<feature>.aliases` or sets " +
        "`routing.defaultFeatures.chat`.",
    );
  });

  test("without direct calls the message says so and offers no direct form", () => {
    const decision = resolve(tableOf({ routing: { allowDirect: false } }), "openai/gpt-4o", "listen");
    assert.ok(!decision.ok);
    assert.match(decision.message, /not an alias of this app, and direct provider\/model calls are disabled/);
    assert.match(decision.message, /on \/v1\/listen: transcribe, nova-3 \(alias of transcribe\)\./);
    assert.doesNotMatch(decision.message, /on your own key/);
    assert.match(decision.message, /routing\.defaultFeatures\.listen/);
  });

  test("bounded: at most LISTED_NAMES names, then how many more; the echoed name is cut", () => {
    const many: NonNullable<GatewayConfigInput["features"]> = {};
    for (let index = 0; index < 30; index += 1) {
      many[`feature_${index}`] = { routes: [{ provider: "openai", model: "gpt-4.1-mini" }] };
    }
    const table = tableOf({ features: many });
    const decision = resolve(table, "x".repeat(300), "chat");
    assert.ok(!decision.ok);
    assert.match(
      decision.message,
      new RegExp(`feature_${LISTED_NAMES - 1} and ${30 - LISTED_NAMES} more\\.`),
    );
    assert.doesNotMatch(decision.message, new RegExp(`feature_${LISTED_NAMES},`));
    assert.ok(!decision.message.includes("x".repeat(81)), "at most 80 characters of the name echoed");
  });
});

describe("configuration of names", () => {
  test("duplicate aliases, an alias equal to a feature name, an alias reading as direct naming: each with its path", () => {
    const issues = issuesOf(() =>
      parseConfig({
        features: {
          one: {
            aliases: ["shared", "two", "openai/gpt-4o-mini"],
            routes: [{ provider: "openai", model: "m" }],
          },
          two: { aliases: ["shared", "bad alias"], routes: [{ provider: "openai", model: "m" }] },
        },
      }),
    );
    const byPath = new Map(issues.map((issue) => [issue.path, issue.message]));
    assert.match(byPath.get("features.one.aliases.1") ?? "", /already a feature name/);
    assert.match(byPath.get("features.one.aliases.2") ?? "", /provider id/);
    assert.match(byPath.get("features.two.aliases.0") ?? "", /already an alias of one/);
    assert.match(byPath.get("features.two.aliases.1") ?? "", /letters, digits/);
  });

  test("a default naming a missing feature is reported with its path", () => {
    const issues = issuesOf(() =>
      parseConfig({ features: FEATURES, routing: { defaultFeatures: { chat: "nope" } } }),
    );
    assert.deepEqual(
      issues.map((issue) => issue.path),
      ["routing.defaultFeatures.chat"],
    );
    assert.match(issues[0]!.message, /no feature named "nope"/);
  });

  test("a default whose feature cannot serve its ingress stops the start, with its path", () => {
    const issues = issuesOf(() =>
      tableOf({
        routing: { defaultFeatures: { listen: "summary", embeddings: "embed", messages: "transcribe" } },
      }),
    );
    assert.deepEqual(issues.map((issue) => issue.path).sort(), [
      "routing.defaultFeatures.listen",
      "routing.defaultFeatures.messages",
    ]);
  });

  test("an unknown ingress under defaultFeatures is refused", () => {
    const issues = issuesOf(() =>
      parseConfig({ features: FEATURES, routing: { defaultFeatures: { speech: "x" } } }),
    );
    assert.equal(issues[0]!.path, "routing.defaultFeatures");
  });
});
