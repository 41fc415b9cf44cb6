/**
 * @module test/config/storage-config.test
 * The `storage` section: SQLite by default, PostgreSQL when a URL is set (file or BYOK_DATABASE_URL, kept
 * as a secret), the pool's defaults and bounds, and the removed `store` section named with its new key.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, loadConfig, parseConfig } from "../../src/config/index.ts";

const URL = "postgres://byok:pg-secret-password@db.internal:5432/byok";

function issuesOf(work: () => unknown): Array<{ path: string; message: string }> {
  try {
    work();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return [...error.issues];
  }
  assert.fail("expected a ConfigError");
}

test("no storage settings: SQLite in the data directory, no PostgreSQL", () => {
  const config = loadConfig({ env: {} });
  assert.equal(config.storage.postgres, undefined);
  assert.equal(config.storage.sqlite.path, undefined);
  assert.equal(
    parseConfig({ storage: { sqlite: { path: "/var/lib/byok.sqlite" } } }).storage.sqlite.path,
    "/var/lib/byok.sqlite",
  );
});

test("BYOK_DATABASE_URL sets storage.postgres.url as a secret, with the pool's defaults", () => {
  const config = loadConfig({ env: { BYOK_DATABASE_URL: URL } });
  const postgres = config.storage.postgres;
  assert.ok(postgres);
  assert.equal(postgres.url.reveal(), URL);
  assert.equal(JSON.stringify(config).includes("pg-secret-password"), false, "redacted in JSON");
  assert.deepEqual(
    [
      postgres.schema,
      postgres.poolMax,
      postgres.connectTimeoutMs,
      postgres.statementTimeoutMs,
      postgres.idleTimeoutMs,
    ],
    [undefined, 10, 5000, 5000, 30_000],
  );
});

test("bad PostgreSQL settings are reported with their paths, never with the URL", () => {
  const issues = issuesOf(() =>
    loadConfig({ env: { BYOK_DATABASE_URL: "mysql://root:hunter2-password@db/x" } }),
  );
  assert.deepEqual(
    issues.map((issue) => issue.path),
    ["storage.postgres.url (from BYOK_DATABASE_URL)"],
  );
  assert.equal(JSON.stringify(issues).includes("hunter2"), false);
  const bounds = issuesOf(() =>
    parseConfig({ storage: { postgres: { url: URL, schema: "x; DROP", poolMax: 0, connectTimeoutMs: 1 } } }),
  );
  assert.deepEqual(bounds.map((issue) => issue.path).sort(), [
    "storage.postgres.connectTimeoutMs",
    "storage.postgres.poolMax",
    "storage.postgres.schema",
  ]);
});

test("the removed store section is refused, naming its new key, together with other problems", () => {
  const issues = issuesOf(() => parseConfig({ store: { path: "/tmp/x.sqlite" }, server: { port: -1 } }));
  assert.deepEqual(issues.map((issue) => issue.path).sort(), ["server.port", "store"]);
  assert.match(issues.find((issue) => issue.path === "store")?.message ?? "", /storage\.sqlite\.path/);
});
