/**
 * @module test/config/connections-config.test
 * `connections.<name>` and routes naming them: every problem reported at start with its path, the key from
 * BYOK_CONNECTION_<NAME>_API_KEY, and (seeded property) no header value or key ever in a configuration error.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import { ConfigError, type GatewayConfigInput, loadConfig, parseConfig } from "../../src/config/index.ts";
import { SecretKey } from "../../src/keys/index.ts";
import { azureProvider } from "../../src/providers/azure/azure-provider.ts";
import { createTempDir } from "../support/start-gateway.ts";

const SEED = 20261207;

function issuesOf(work: () => unknown): Array<{ path: string; message: string }> {
  try {
    work();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return [...error.issues];
  }
  assert.fail("expected a ConfigError");
}

const paths = (issues: ReadonlyArray<{ path: string }>) => issues.map((issue) => issue.path).sort();

const AZURE = {
  kind: "azure",
  baseUrl: "https://example-resource.openai.azure.com",
  apiVersion: "2024-10-21",
  deployments: { "gpt-4o-mini": "chat" },
} as const;

describe("connections configuration", () => {
  test("a valid set of connections parses, with defaults", () => {
    const config = parseConfig({
      connections: {
        "local-llm": {
          kind: "openai_compatible",
          baseUrl: "http://127.0.0.1:8000/v1",
          headers: { "X-Org": "org-1" },
        },
        "azure-eu": AZURE,
        dg_eu: { kind: "deepgram", baseUrl: "https://dg.example", liveBaseUrl: "wss://dg.example" },
      },
      features: {
        notes: {
          routes: [
            { connection: "local-llm", model: "llama" },
            { connection: "azure-eu", model: "gpt-4o-mini" },
          ],
        },
      },
    });
    assert.equal(config.connections["local-llm"]?.kind, "openai_compatible");
    assert.equal(config.connections["local-llm"]?.headers["X-Org"]?.reveal(), "org-1");
    assert.equal(JSON.stringify(config).includes("org-1"), false, "header values serialize redacted");
    assert.deepEqual(config.connections.dg_eu?.headers, {});
    assert.equal(config.features.notes?.routes[0]?.connection, "local-llm");
  });

  test("every problem at once, each with its path", () => {
    const issues = issuesOf(() =>
      parseConfig({
        connections: {
          openai: { kind: "openai" },
          "bad name!": { kind: "openai_compatible", baseUrl: "https://x.example" },
          nourl: { kind: "openai_compatible" },
          az: { kind: "azure", baseUrl: "https://r.openai.azure.com" },
          live: { kind: "openai", liveBaseUrl: "wss://x.example" },
          notazure: { kind: "gemini", apiVersion: "2024-10-21", deployments: { a: "b" } },
          hdr: {
            kind: "anthropic",
            headers: {
              authorization: "x",
              "bad header": "y",
              "X-Ok": "line\nbreak",
              "X-Twice": "1",
              "x-twice": "2",
              "X-Empty": "",
            },
          },
          resp: { kind: "anthropic", responsesApi: true },
        },
        features: {
          both: { routes: [{ provider: "openai", connection: "hdr", model: "m" }] },
          neither: { routes: [{ model: "m" }] },
          unknown: { routes: [{ connection: "nowhere", model: "m" }] },
          nodeploy: { byokRoutes: [{ connection: "azure-x", model: "gpt-4.1" }] },
        },
      } as unknown as GatewayConfigInput),
    );
    const found = paths(issues);
    for (const expected of [
      "connections.openai",
      "connections.bad name!",
      "connections.nourl.baseUrl",
      "connections.az.apiVersion",
      "connections.az.deployments",
      "connections.live.liveBaseUrl",
      "connections.notazure.apiVersion",
      "connections.notazure.deployments",
      "connections.hdr.headers.authorization",
      "connections.hdr.headers.bad header",
      "connections.hdr.headers.X-Ok",
      "connections.hdr.headers.x-twice",
      "connections.hdr.headers.X-Empty",
      "connections.resp.responsesApi",
      "features.both.routes.0",
      "features.neither.routes.0",
    ]) {
      assert.ok(found.includes(expected), `${expected} in ${found.join(", ")}`);
    }
    assert.match(issues.find((issue) => issue.path === "connections.openai")!.message, /providers\.openai/);
  });

  test("routes name connections that exist; an Azure route's model needs a deployment; no operator backend in byokRoutes", () => {
    const issues = issuesOf(() =>
      parseConfig({
        connections: { "azure-eu": AZURE },
        features: {
          a: { routes: [{ connection: "nowhere", model: "m" }] },
          b: { routes: [{ connection: "azure-eu", model: "gpt-4.1" }] },
          c: { byokRoutes: [{ connection: "azure-eu", model: "gpt-4o-mini" }] },
        },
      }),
    );
    assert.deepEqual(paths(issues), [
      "features.a.routes.0.connection",
      "features.b.routes.0.model",
      "features.c.byokRoutes.0.connection",
    ]);
    assert.match(issues[1]!.message, /connections\.azure-eu\.deployments has no deployment for "gpt-4\.1"/);
    assert.match(issues[2]!.message, /served on its own key only: list it in routes/);
  });

  test("BYOK_CONNECTION_<NAME>_API_KEY sets the key (upper-cased, - as _); one naming nothing is an error", () => {
    const dir = createTempDir("byok-connections-");
    const file = join(dir, "c.yaml");
    writeFileSync(
      file,
      "connections:\n  local-llm:\n    kind: openai_compatible\n    baseUrl: https://llm.example/v1\n",
    );
    const config = loadConfig({ file, env: { BYOK_CONNECTION_LOCAL_LLM_API_KEY: "llm-secret-key" } });
    assert.equal(config.connections["local-llm"]?.apiKey?.reveal(), "llm-secret-key");

    const stray = issuesOf(() => loadConfig({ file, env: { BYOK_CONNECTION_ELSEWHERE_API_KEY: "k" } }));
    assert.deepEqual(paths(stray), ["BYOK_CONNECTION_ELSEWHERE_API_KEY"]);

    writeFileSync(
      file,
      "connections:\n  a-b:\n    kind: openai_compatible\n    baseUrl: https://a.example\n  a_b:\n    kind: openai_compatible\n    baseUrl: https://b.example\n",
    );
    const ambiguous = issuesOf(() => loadConfig({ file, env: { BYOK_CONNECTION_A_B_API_KEY: "k" } }));
    assert.match(ambiguous[0]!.message, /several connections \(a-b, a_b\)/);
  });

  test("the providers.* form is untouched: no connections, the same providers", () => {
    const config = parseConfig({ providers: { openai: { apiKey: "sk-op" } } });
    assert.deepEqual(config.connections, {});
    assert.equal(config.providers.openai?.apiKey?.reveal(), "sk-op");
  });

  test(`property (seeded ${SEED}): no header value or key ever appears in a configuration error`, () => {
    const secret = fc.string({ minLength: 6, maxLength: 40 }).map((text) => `S3cr3t${text}`);
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 0, maxLength: 20 }), secret, { maxKeys: 4 }),
        secret,
        fc.constantFrom("openai_compatible", "azure", "deepgram", "nope"),
        (headers, apiKey, kind) => {
          const values = [...Object.values(headers), apiKey];
          try {
            parseConfig({
              connections: { target: { kind, apiKey, headers } },
            } as unknown as GatewayConfigInput);
          } catch (error) {
            assert.ok(error instanceof ConfigError, String(error));
            for (const value of values) assert.equal(error.message.includes(value), false);
          }
        },
      ),
      { seed: SEED, numRuns: 300, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: true },
    );
  });

  test("Azure's key check: GET /openai/models with a GA api-version and the api-key header", () => {
    const probe = azureProvider.buildVerifyProbe("https://r.openai.azure.com/", new SecretKey("azure-key-1"));
    assert.equal(probe.url, "https://r.openai.azure.com/openai/models?api-version=2024-10-21");
    assert.deepEqual(probe.headers, { "api-key": "azure-key-1" });
  });

  test(`property (seeded ${SEED}): an Azure path stays under its deployment, the query only the api-version`, () => {
    const deployment = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/);
    fc.assert(
      fc.property(deployment, fc.string({ maxLength: 30 }), (name, model) => {
        const target = { model, apiVersion: "2024-10-21", deployments: { [model]: name } };
        for (const operation of ["chat", "embeddings"] as const) {
          const path = azureProvider.pathFor(operation, target);
          assert.ok(path !== undefined);
          const url = new URL(path, "https://r.openai.azure.com");
          assert.equal(url.origin, "https://r.openai.azure.com");
          assert.ok(
            url.pathname.startsWith(`/openai/deployments/${encodeURIComponent(name)}/`),
            url.pathname,
          );
          assert.deepEqual([...url.searchParams.keys()], ["api-version"]);
        }
        assert.equal(azureProvider.pathFor("stt", target), undefined);
        assert.equal(azureProvider.pathFor("chat", { ...target, deployments: {} }), undefined);
      }),
      { seed: SEED, numRuns: 300, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: true },
    );
  });
});
