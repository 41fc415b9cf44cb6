/**
 * @module test/config/operator-key-pools-config.test
 * Operator key pools in the configuration: `apiKeys` with weights and `keyPool` timing on providers and
 * connections, the environment form (`…_API_KEYS`, `…_API_KEY_WEIGHTS`), and errors that name the path
 * (or the variable) without ever quoting a key.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ConfigError, type GatewayConfigInput, loadConfig, parseConfig } from "../../src/config/index.ts";
import { CONFIG_ENVIRONMENT_VARIABLES } from "../../src/config/load-config.ts";
import { createTempDir } from "../support/start-gateway.ts";

const KEY = {
  a: "sk-pool-config-key-aaaaaaaaaaaa",
  b: "sk-pool-config-key-bbbbbbbbbbbb",
  c: "sk-pool-config-key-cccccccccccc",
} as const;

function issuesOf(work: () => unknown): Array<{ path: string; message: string }> {
  try {
    work();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    const text = `${error.message}\n${JSON.stringify(error.issues)}`;
    assert.equal(text.includes("sk-pool-config-key"), false, "no key in a configuration error");
    return [...error.issues];
  }
  assert.fail("expected a ConfigError");
}

const pathsOf = (issues: ReadonlyArray<{ path: string }>) => issues.map((issue) => issue.path).sort();

function configFile(content: unknown): string {
  const file = join(createTempDir("byok-pool-config-"), "byok.json");
  writeFileSync(file, JSON.stringify(content));
  return file;
}

const CONNECTION = { kind: "openai_compatible", baseUrl: "https://llm.internal.example/v1" } as const;

describe("operator key pools: the file form", () => {
  test("apiKeys with weights on a provider and a connection; weight 1 by default; keyPool defaults; redacted", () => {
    const config = parseConfig({
      providers: {
        openai: {
          apiKeys: [{ apiKey: KEY.a, weight: 3 }, { apiKey: KEY.b }],
          keyPool: { coolDownMs: 1000 },
        },
      },
      connections: { "local-llm": { ...CONNECTION, apiKeys: [{ apiKey: KEY.c, weight: 0.5 }] } },
    });
    const openai = config.providers.openai!;
    assert.deepEqual(
      openai.apiKeys?.map(({ apiKey, weight }) => [apiKey.reveal(), weight]),
      [
        [KEY.a, 3],
        [KEY.b, 1],
      ],
    );
    assert.deepEqual(openai.keyPool, { coolDownMs: 1000, maxCoolDownMs: 600_000, refusedMs: 900_000 });
    assert.equal(config.connections["local-llm"]?.apiKeys?.[0]?.weight, 0.5);
    assert.equal(config.connections["local-llm"]?.keyPool, undefined);
    assert.equal(JSON.stringify(config).includes("sk-pool-config-key"), false, "keys serialize redacted");
  });

  test("every problem at once, each with its path, no key quoted", () => {
    const tooMany = Array.from({ length: 65 }, (_, index) => ({ apiKey: `${KEY.a}-${index}` }));
    const issues = issuesOf(() =>
      parseConfig({
        providers: {
          openai: { apiKey: KEY.a, apiKeys: [{ apiKey: KEY.b }] },
          gemini: { apiKey: KEY.a, keyPool: {} },
          openrouter: {
            apiKeys: [
              { apiKey: KEY.a, weight: 0 },
              { apiKey: KEY.b, weight: -2 },
            ],
          },
          anthropic: { apiKeys: tooMany },
          deepgram: { apiKeys: [] },
        },
        connections: {
          timing: {
            ...CONNECTION,
            apiKeys: [{ apiKey: KEY.a }],
            keyPool: { coolDownMs: 10_000, maxCoolDownMs: 5_000, refusedMs: -1 },
          },
          stray: { ...CONNECTION, apiKeys: [{ apiKey: KEY.a, extra: true }] },
        },
      } as unknown as GatewayConfigInput),
    );
    const found = pathsOf(issues);
    for (const expected of [
      "providers.openai.apiKeys",
      "providers.gemini.keyPool",
      "providers.openrouter.apiKeys.0.weight",
      "providers.openrouter.apiKeys.1.weight",
      "providers.anthropic.apiKeys",
      "providers.deepgram.apiKeys",
      "connections.timing.keyPool.refusedMs",
      "connections.stray.apiKeys.0",
    ]) {
      assert.ok(found.includes(expected), `${expected} in ${found.join(", ")}`);
    }
    assert.match(issues.find((issue) => issue.path === "providers.openai.apiKeys")!.message, /either/);
    assert.match(issues.find((issue) => issue.path === "providers.anthropic.apiKeys")!.message, /at most 64/);
  });

  test("the same key twice and a pool for the custom endpoint are refused", () => {
    const duplicate = issuesOf(() =>
      parseConfig({
        providers: { openai: { apiKeys: [{ apiKey: KEY.a }, { apiKey: KEY.b }, { apiKey: KEY.a }] } },
      }),
    );
    assert.deepEqual(duplicate, [
      { path: "providers.openai.apiKeys.2.apiKey", message: "the same key as apiKeys.0" },
    ]);
    const custom = issuesOf(() => parseConfig({ providers: { custom: { apiKeys: [{ apiKey: KEY.a }] } } }));
    assert.deepEqual(pathsOf(custom), ["providers.custom.apiKeys"]);
    const timing = issuesOf(() =>
      parseConfig({
        connections: {
          timing: {
            ...CONNECTION,
            apiKeys: [{ apiKey: KEY.a }],
            keyPool: { coolDownMs: 10, maxCoolDownMs: 5 },
          },
        },
      }),
    );
    assert.deepEqual(pathsOf(timing), ["connections.timing.keyPool.coolDownMs"]);
  });
});

describe("operator key pools: the environment form", () => {
  test("BYOK_<PROVIDER>_API_KEYS with weights; the environment replaces the file's key", () => {
    const file = configFile({ providers: { openai: { apiKey: KEY.c } } });
    const config = loadConfig({
      file,
      env: { BYOK_OPENAI_API_KEYS: ` ${KEY.a}, ${KEY.b} ,`, BYOK_OPENAI_API_KEY_WEIGHTS: "2, 0.5" },
    });
    const openai = config.providers.openai!;
    assert.equal(openai.apiKey, undefined);
    assert.deepEqual(
      openai.apiKeys?.map(({ apiKey, weight }) => [apiKey.reveal(), weight]),
      [
        [KEY.a, 2],
        [KEY.b, 0.5],
      ],
    );
    const unweighted = loadConfig({ env: { BYOK_GEMINI_API_KEYS: `${KEY.a},${KEY.b}` } });
    assert.deepEqual(
      unweighted.providers.gemini?.apiKeys?.map(({ weight }) => weight),
      [1, 1],
    );
    for (const name of ["BYOK_OPENAI_API_KEYS", "BYOK_DEEPGRAM_API_KEY_WEIGHTS"]) {
      assert.ok(CONFIG_ENVIRONMENT_VARIABLES.includes(name), name);
    }
  });

  test("a single key from the environment replaces the file's pool", () => {
    const file = configFile({
      providers: { openai: { apiKeys: [{ apiKey: KEY.a }, { apiKey: KEY.b }], keyPool: { coolDownMs: 5 } } },
    });
    const config = loadConfig({ file, env: { BYOK_OPENAI_API_KEY: KEY.c } });
    assert.equal(config.providers.openai?.apiKey?.reveal(), KEY.c);
    assert.equal(config.providers.openai?.apiKeys, undefined);
    assert.equal(config.providers.openai?.keyPool, undefined);
  });

  test("BYOK_CONNECTION_<NAME>_API_KEYS for a declared connection; variables naming none are refused", () => {
    const file = configFile({ connections: { "local-llm": CONNECTION } });
    const config = loadConfig({
      file,
      env: {
        BYOK_CONNECTION_LOCAL_LLM_API_KEYS: `${KEY.a},${KEY.b},${KEY.c}`,
        BYOK_CONNECTION_LOCAL_LLM_API_KEY_WEIGHTS: "1,1,4",
      },
    });
    assert.deepEqual(
      config.connections["local-llm"]?.apiKeys?.map(({ weight }) => weight),
      [1, 1, 4],
    );
    const stray = issuesOf(() =>
      loadConfig({
        file,
        env: { BYOK_CONNECTION_ELSEWHERE_API_KEYS: KEY.a, BYOK_CONNECTION_ELSEWHERE_API_KEY_WEIGHTS: "1" },
      }),
    );
    assert.deepEqual(pathsOf(stray), [
      "BYOK_CONNECTION_ELSEWHERE_API_KEYS",
      "BYOK_CONNECTION_ELSEWHERE_API_KEY_WEIGHTS",
    ]);
  });

  test("conflicting or malformed variables are named, never their keys", () => {
    const both = issuesOf(() =>
      loadConfig({ env: { BYOK_OPENAI_API_KEY: KEY.a, BYOK_OPENAI_API_KEYS: KEY.b } }),
    );
    assert.deepEqual(pathsOf(both), ["BYOK_OPENAI_API_KEYS"]);
    const counts = issuesOf(() =>
      loadConfig({ env: { BYOK_OPENAI_API_KEYS: `${KEY.a},${KEY.b}`, BYOK_OPENAI_API_KEY_WEIGHTS: "1" } }),
    );
    assert.deepEqual(counts, [
      { path: "BYOK_OPENAI_API_KEY_WEIGHTS", message: "lists 1 weights for 2 keys" },
    ]);
    const bad = issuesOf(() =>
      loadConfig({ env: { BYOK_OPENAI_API_KEYS: KEY.a, BYOK_OPENAI_API_KEY_WEIGHTS: "x" } }),
    );
    assert.deepEqual(pathsOf(bad), ["BYOK_OPENAI_API_KEY_WEIGHTS"]);
    const orphan = issuesOf(() => loadConfig({ env: { BYOK_OPENAI_API_KEY_WEIGHTS: "1,2" } }));
    assert.deepEqual(pathsOf(orphan), ["BYOK_OPENAI_API_KEY_WEIGHTS"]);
    const duplicate = issuesOf(() => loadConfig({ env: { BYOK_OPENAI_API_KEYS: `${KEY.a},${KEY.a}` } }));
    assert.deepEqual(pathsOf(duplicate), ["providers.openai.apiKeys.1.apiKey (from BYOK_OPENAI_API_KEYS)"]);
  });
});
