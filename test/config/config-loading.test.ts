import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ConfigError, loadConfig } from "../../src/config/index.ts";
import { runCli } from "../support/run-cli.ts";
import { createTempDir } from "../support/start-gateway.ts";

const PEPPER = "a-pepper-of-at-least-thirty-two-characters";

function issuesOf(work: () => unknown): Array<{ path: string; message: string }> {
  try {
    work();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return [...error.issues];
  }
  assert.fail("expected a ConfigError");
}

describe("configuration", () => {
  test("embedded defaults need no file and no environment", () => {
    const config = loadConfig({ env: {} });
    assert.equal(config.server.port, 8080);
    assert.equal(config.dataDir, "./data");
    assert.equal(config.enrollment.heartbeatTtlSeconds, 7 * 24 * 3600);
    assert.equal(config.pepper, undefined);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.server));
  });

  test("YAML and JSON files load; env overrides secrets and the port", () => {
    const dir = createTempDir();
    const yamlFile = join(dir, "c.yaml");
    writeFileSync(yamlFile, "server:\n  port: 9000\nenrollment:\n  requiredProviders: [openai]\n");
    const fromYaml = loadConfig({
      file: yamlFile,
      env: { BYOK_PORT: "9100", BYOK_PEPPER: `${PEPPER}-2, ${PEPPER}-1`, BYOK_OPENAI_API_KEY: "sk-op" },
    });
    assert.equal(fromYaml.server.port, 9100);
    assert.deepEqual(fromYaml.enrollment.requiredProviders, ["openai"]);
    assert.deepEqual(
      fromYaml.pepper?.map((pepper) => pepper.reveal()),
      [`${PEPPER}-2`, `${PEPPER}-1`],
    );
    assert.equal(fromYaml.providers.openai?.apiKey?.reveal(), "sk-op");
    assert.ok(!JSON.stringify(fromYaml).includes(PEPPER), "secrets serialize redacted");
    const jsonFile = join(dir, "c.json");
    writeFileSync(jsonFile, JSON.stringify({ server: { port: 9200 } }));
    assert.equal(loadConfig({ file: jsonFile, env: { BYOK_CONFIG: yamlFile } }).server.port, 9200);
    assert.equal(loadConfig({ env: { BYOK_CONFIG: jsonFile } }).server.port, 9200);
  });

  test("every problem is reported together with its path", () => {
    const file = join(createTempDir(), "bad.yaml");
    writeFileSync(
      file,
      "server:\n  port: 70000\n  typo: 1\nauth:\n  mode: jwt\nenrollment:\n  requiredProviders: [openai, mistral]\n",
    );
    const issues = issuesOf(() => loadConfig({ file, env: {} }));
    const paths = issues.map((issue) => issue.path).sort();
    assert.deepEqual(paths, ["auth.jwt", "enrollment.requiredProviders.1", "server", "server.port"]);
    assert.match(issues.find((issue) => issue.path === "server")!.message, /typo/);
  });

  test("bad environment values name the variable, reported with every other problem at once", () => {
    const issues = issuesOf(() => loadConfig({ env: { BYOK_PORT: "eighty", BYOK_PEPPER: "short" } }));
    assert.deepEqual(
      issues.map((issue) => issue.path),
      ["BYOK_PORT", "pepper.0 (from BYOK_PEPPER)"],
    );
    const pepper = issuesOf(() => loadConfig({ env: { BYOK_PEPPER: "short" } }));
    assert.equal(pepper[0]!.path, "pepper.0 (from BYOK_PEPPER)");
  });

  test("the write-stall limit: 30 s by default, from the file or BYOK_WRITE_STALL_TIMEOUT_MS, bounded", () => {
    assert.equal(loadConfig({ env: {} }).server.writeStallTimeoutMs, 30_000);
    const file = join(createTempDir(), "byok.yaml");
    writeFileSync(file, "server:\n  writeStallTimeoutMs: 5000\n");
    assert.equal(loadConfig({ file, env: {} }).server.writeStallTimeoutMs, 5_000);
    const env = { BYOK_WRITE_STALL_TIMEOUT_MS: "12000" };
    assert.equal(loadConfig({ file, env }).server.writeStallTimeoutMs, 12_000);
    assert.deepEqual(
      issuesOf(() => loadConfig({ env: { BYOK_WRITE_STALL_TIMEOUT_MS: "50" } })).map((issue) => issue.path),
      ["server.writeStallTimeoutMs (from BYOK_WRITE_STALL_TIMEOUT_MS)"],
    );
  });

  test("the server settings a platform sets come from the environment too, over the file, bounded", (t) => {
    const dir = createTempDir();
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "byok.yaml");
    writeFileSync(
      file,
      "server:\n  keepAliveTimeoutMs: 7000\n  shutdownTimeoutMs: 3000\n  trustProxy: false\n  bodyLimitBytes: 4096\n",
    );
    const settings = ({ server }: ReturnType<typeof loadConfig>) => [
      server.keepAliveTimeoutMs,
      server.shutdownTimeoutMs,
      server.trustProxy,
      server.bodyLimitBytes,
    ];
    assert.deepEqual(settings(loadConfig({ file, env: {} })), [7_000, 3_000, false, 4_096]);
    const env = {
      BYOK_KEEP_ALIVE_TIMEOUT_MS: "65000",
      BYOK_SHUTDOWN_TIMEOUT_MS: "25000",
      BYOK_TRUST_PROXY: "true",
      BYOK_BODY_LIMIT_BYTES: "2097152",
    };
    assert.deepEqual(settings(loadConfig({ file, env })), [65_000, 25_000, true, 2_097_152]);
    const bad = {
      BYOK_KEEP_ALIVE_TIMEOUT_MS: "0",
      BYOK_SHUTDOWN_TIMEOUT_MS: "10s",
      BYOK_TRUST_PROXY: "yes",
      BYOK_BODY_LIMIT_BYTES: "512",
    };
    assert.deepEqual(
      issuesOf(() => loadConfig({ env: bad }))
        .map((issue) => issue.path)
        .sort(),
      [
        "BYOK_SHUTDOWN_TIMEOUT_MS",
        "server.bodyLimitBytes (from BYOK_BODY_LIMIT_BYTES)",
        "server.keepAliveTimeoutMs (from BYOK_KEEP_ALIVE_TIMEOUT_MS)",
        "server.trustProxy.0 (from BYOK_TRUST_PROXY)",
      ],
    );
  });

  test("trustProxy: true, false, or the proxies' addresses (IPs, CIDRs, named ranges), from the file or the environment", (t) => {
    const dir = createTempDir();
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "byok.yaml");
    writeFileSync(file, "server:\n  trustProxy: [10.0.0.0/8, '::1', loopback]\n");
    assert.deepEqual(loadConfig({ file, env: {} }).server.trustProxy, ["10.0.0.0/8", "::1", "loopback"]);
    const fromEnv = (value: string) =>
      loadConfig({ file, env: { BYOK_TRUST_PROXY: value } }).server.trustProxy;
    assert.equal(fromEnv("true"), true);
    assert.equal(fromEnv("false"), false);
    assert.equal(fromEnv(" TRUE "), true);
    assert.equal(fromEnv("False"), false);
    assert.deepEqual(fromEnv(" 192.168.0.0/16 , uniquelocal,, fe80::/10 "), [
      "192.168.0.0/16",
      "uniquelocal",
      "fe80::/10",
    ]);
    // `/0` too: proxy-addr refuses every-address ranges, and the gateway would not start.
    for (const entry of [
      "10.0.0.0/33",
      "300.1.1.1",
      "10.0.0.1/8/1",
      "proxy.example",
      "::1/129",
      "0.0.0.0/0",
      "::/0",
      "yes",
    ])
      assert.match(
        issuesOf(() => fromEnv(`127.0.0.1,${entry}`))[0]!.path,
        /^server\.trustProxy\.1 \(from BYOK_TRUST_PROXY\)$/,
        entry,
      );
    writeFileSync(file, "server:\n  trustProxy: 10.0.0.1\n");
    assert.deepEqual(
      issuesOf(() => loadConfig({ file, env: {} })).map((issue) => issue.path),
      ["server.trustProxy"],
    );
  });

  test("an unreadable or non-object file is reported", () => {
    assert.match(
      issuesOf(() => loadConfig({ file: "/nonexistent/byok.yaml", env: {} }))[0]!.message,
      /ENOENT/,
    );
    const file = join(createTempDir(), "list.yaml");
    writeFileSync(file, "- 1\n- 2\n");
    assert.match(issuesOf(() => loadConfig({ file, env: {} }))[0]!.message, /object/);
  });

  test("production mode refuses to load without a pepper", () => {
    const issues = issuesOf(() => loadConfig({ env: { NODE_ENV: "production" } }));
    assert.equal(issues[0]!.path, "pepper");
    assert.match(issues[0]!.message, /BYOK_PEPPER/);
    assert.ok(loadConfig({ env: { NODE_ENV: "production", BYOK_PEPPER: PEPPER } }).production);
  });
});

describe("config on the command line", () => {
  test("production mode with no pepper exits non-zero naming the setting", async () => {
    const result = await runCli(["serve"], {
      env: { NODE_ENV: "production", BYOK_DATA_DIR: createTempDir(), BYOK_PORT: "0" },
    });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /pepper/);
    assert.match(result.stderr, /BYOK_PEPPER/);
  });

  test("config check passes a good file and fails a bad one with paths", async () => {
    const dir = createTempDir();
    const good = join(dir, "good.yaml");
    writeFileSync(good, "server:\n  port: 9000\n");
    const ok = await runCli(["config", "check", good]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /configuration OK/);
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "server:\n  port: -1\nlog:\n  level: loud\n");
    const failed = await runCli(["config", "check", bad]);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /server\.port/);
    assert.match(failed.stderr, /log\.level/);
  });

  test("serve with a bad config file exits non-zero before listening", async () => {
    const bad = join(createTempDir(), "bad.json");
    writeFileSync(bad, '{"server": {"port": "eighty"}}');
    const result = await runCli(["serve", "--config", bad]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /server\.port/);
  });
});

test("an egress policy the guard refuses stops the start with a config error", async () => {
  const { createByok } = await import("../../src/library/index.ts");
  await assert.rejects(
    createByok({
      config: {
        production: true,
        pepper: PEPPER,
        dataDir: createTempDir(),
        egress: { allowHttpHosts: ["models.internal"] },
      },
    }),
    (error: unknown) => error instanceof ConfigError && error.issues[0]?.path === "egress",
  );
});
