/**
 * @module test/routing/operator-key-pools.test
 * Routing over operator key pools, as pure functions: the table builds a weighted pool from `apiKeys` (a pool
 * of one from `apiKey`), operator routes draw from it and name the slot, a resting key is skipped, a pool
 * with every key out moves routing to the next route, and a user's key or the custom endpoint never touch it.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseConfig } from "../../src/config/index.ts";
import { type ProviderId, SecretKey } from "../../src/keys/index.ts";
import { buildRoutingTable } from "../../src/pipeline/build-routing-table.ts";
import { createProviderRegistry } from "../../src/providers/index.ts";
import type { KeyEvent, WeightedKeyPool } from "../../src/resilience/index.ts";
import { previewRoutes, type Route, resolveRoute } from "../../src/routing/index.ts";
import type { ByokContext } from "../../src/validation/byok-context.ts";

const POOL_KEYS = ["sk-op-pool-0-aaaaaaaa", "sk-op-pool-1-bbbbbbbb", "sk-op-pool-2-cccccccc"] as const;

const config = parseConfig({
  providers: {
    openai: {
      apiKeys: POOL_KEYS.map((apiKey, index) => ({ apiKey, weight: index + 1 })),
      keyPool: { coolDownMs: 1_000, maxCoolDownMs: 5_000, refusedMs: 10_000 },
    },
    gemini: { apiKey: "AIza-operator-single" },
  },
  connections: {
    "local-llm": {
      kind: "openai_compatible",
      baseUrl: "https://llm.internal.example/v1",
      apiKeys: [{ apiKey: "local-pool-key-0" }, { apiKey: "local-pool-key-1" }],
    },
  },
  features: {
    summary: {
      allowCustom: true,
      routes: [
        { provider: "openai", model: "gpt-4.1-mini" },
        { provider: "gemini", model: "gemini-2.5-flash" },
      ],
    },
    local: { routes: [{ connection: "local-llm", model: "llama" }] },
  },
});

function byokOf(keys: readonly ProviderId[] = []): ByokContext {
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

function tableWithClock() {
  let clock = 0;
  const events: KeyEvent[] = [];
  const pools = new Map<string, WeightedKeyPool>();
  const table = buildRoutingTable(config, createProviderRegistry(), {
    now: () => clock,
    onKeyEvent: (event) => events.push(event),
    onPoolBuilt: (connection, pool) => pools.set(connection, pool),
  });
  const serve = (model: string, byok = byokOf()): Route => {
    const decision = resolveRoute(table, { model, operation: "chat", needs: [] }, byok);
    assert.ok(decision.ok, decision.ok ? "" : decision.message);
    return decision.route;
  };
  return { table, events, pools, serve, advance: (ms: number) => (clock += ms) };
}

describe("routing over operator key pools", () => {
  test("the table builds a weighted pool per apiKeys and reports it; apiKey stays a pool of one", () => {
    const { table, pools } = tableWithClock();
    assert.deepEqual([...pools.keys()].sort(), ["local-llm", "openai"]);
    assert.equal(table.providers.get("openai")?.keys?.size, 3);
    assert.equal(table.providers.get("gemini")?.keys?.size, 1);
    assert.equal(table.connections?.get("local-llm")?.keys?.size, 2);
    assert.equal(table.providers.get("custom")?.keys, null, "the custom endpoint never has operator keys");
  });

  test("operator routes draw every key by weight and name the slot they drew", () => {
    const { serve } = tableWithClock();
    const slots = new Map<number, number>();
    for (let index = 0; index < 600; index++) {
      const route = serve("summary");
      assert.equal(route.source, "operator");
      assert.ok(route.operatorKey);
      assert.equal(route.key.reveal(), POOL_KEYS[route.operatorKey.slot]);
      slots.set(route.operatorKey.slot, (slots.get(route.operatorKey.slot) ?? 0) + 1);
    }
    // Weights 1:2:3 over 600 draws: about 100, 200, 300.
    assert.ok((slots.get(0) ?? 0) > 50 && (slots.get(0) ?? 0) < 160, `slot 0: ${slots.get(0)}`);
    assert.ok((slots.get(2) ?? 0) > (slots.get(0) ?? 0), "the heaviest key is drawn most");
  });

  test("a key the loop reported rests: later routes skip it until its time, and one event names its slot", () => {
    const { serve, events, pools, advance } = tableWithClock();
    const pool = pools.get("openai")!;
    pool.rateLimited(2, 2_000);
    pool.refused(1);
    for (let index = 0; index < 50; index++) assert.equal(serve("summary").operatorKey?.slot, 0);
    assert.deepEqual(events, [
      { connection: "openai", slot: 2, event: "rate_limited", restMs: 2_000 },
      { connection: "openai", slot: 1, event: "refused", restMs: 10_000 },
    ]);
    advance(2_000);
    const seen = new Set<number>();
    for (let index = 0; index < 100; index++) seen.add(serve("summary").operatorKey!.slot);
    assert.deepEqual([...seen].sort(), [0, 2], "the rested key is back, the refused one still out");
  });

  test("the pool never sits out its last key: with every other key resting, routing stays on it", () => {
    // One user's requests can rest keys, but never all of them (docs/features-and-routing.md, "Operator key
    // pools"): the last available key keeps serving, so a pool is never dropped from the plan.
    const { serve, pools, events } = tableWithClock();
    const pool = pools.get("openai")!;
    for (const slot of [0, 1, 2]) pool.rateLimited(slot, null);
    assert.equal(events.length, 2, "two keys rest; the third 429 leaves the last key in");
    const resting = new Set(events.map((event) => event.slot));
    const route = serve("summary");
    assert.equal(route.connection, "openai");
    assert.equal(resting.has(route.operatorKey!.slot), false, "served on the key that did not rest");
    assert.equal(pool.counts().available, 1);
  });

  test("a user's own key is served without touching the pool; the preview shows no operator key", () => {
    const { serve, table } = tableWithClock();
    const route = serve("summary", byokOf(["openai"]));
    assert.equal(route.source, "byok");
    assert.equal(route.operatorKey, undefined);
    assert.equal(route.key.reveal(), "user-key-openai");
    const preview = JSON.stringify(previewRoutes(table, byokOf()));
    for (const key of POOL_KEYS) assert.equal(preview.includes(key), false);
    assert.equal(preview.includes("local-pool-key"), false);
  });
});
