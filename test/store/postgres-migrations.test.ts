/**
 * @module test/store/postgres-migrations.test
 * PostgreSQL migrations: versioned, run once, rolled back whole when one fails, and safe when several
 * replicas open a fresh schema at the same moment (the advisory lock makes the others wait, then find nothing to do).
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createPostgresStore, POSTGRES_MIGRATIONS } from "../../src/store/index.ts";
import { openPostgresPool } from "../../src/store/postgres/open-postgres-pool.ts";
import { migratePostgres } from "../../src/store/postgres/postgres-migrations.ts";
import { createTestSchema } from "../support/postgres.ts";

const VERSIONS = POSTGRES_MIGRATIONS.map((migration) => migration.version);

const poolOn = (url: string, schema: string) =>
  openPostgresPool({
    url,
    schema,
    poolMax: 2,
    connectTimeoutMs: 5000,
    statementTimeoutMs: 5000,
    idleTimeoutMs: 30_000,
  });

test("five stores opening one fresh schema at once all succeed, and each migration ran once", async () => {
  const fresh = await createTestSchema();
  after(() => fresh.drop());
  const stores = await Promise.all(
    Array.from({ length: 5 }, () => createPostgresStore({ url: fresh.url, schema: fresh.schema })),
  );
  after(() => Promise.all(stores.map((store) => store.close())));
  const rows = await fresh.query<{ version: number }>(
    "SELECT version FROM schema_migrations ORDER BY version",
  );
  assert.deepEqual(
    rows.map((row) => row.version),
    VERSIONS,
  );
  // One set of tables that every store shares.
  assert.equal(
    await stores[0]!.users.create({ id: "shared", plan: null, createdAt: 1, revokedAt: null }),
    true,
  );
  for (const store of stores) assert.equal((await store.users.get("shared"))?.id, "shared");
});

test("migrations are versioned: a second run applies nothing; a failing one is rolled back whole", async () => {
  const fresh = await createTestSchema();
  after(() => fresh.drop());
  const pool = poolOn(fresh.url, fresh.schema);
  after(() => pool.close());
  assert.deepEqual(await migratePostgres(pool), VERSIONS);
  assert.deepEqual(await migratePostgres(pool), []);
  const failing = [
    { version: 98, name: "fine alone", sql: "CREATE TABLE extra (id TEXT)" },
    { version: 99, name: "broken", sql: "CREATE TABLE users (id TEXT)" },
  ];
  await assert.rejects(migratePostgres(pool, [...POSTGRES_MIGRATIONS, ...failing]), /already exists/);
  const rows = await fresh.query<{ version: number }>(
    "SELECT version FROM schema_migrations WHERE version >= 98",
  );
  assert.deepEqual(rows, [], "neither recorded");
  const extra = await fresh.query(
    "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'extra'",
    [fresh.schema],
  );
  assert.deepEqual(extra, [], "nor applied");
});

test("migrations upgrade a schema from an earlier version and keep its rows", async () => {
  const fresh = await createTestSchema();
  after(() => fresh.drop());
  const pool = poolOn(fresh.url, fresh.schema);
  after(() => pool.close());
  assert.deepEqual(await migratePostgres(pool, POSTGRES_MIGRATIONS.slice(0, 1)), [1]);
  await pool.query("INSERT INTO users (id, plan, created_at, revoked_at) VALUES ('kept', NULL, 1, NULL)");
  assert.deepEqual(await migratePostgres(pool), VERSIONS.slice(1));
  const store = await createPostgresStore({ url: fresh.url, schema: fresh.schema });
  after(() => store.close());
  assert.equal((await store.users.get("kept"))?.id, "kept");
  assert.deepEqual(
    await store.counters.read([{ userId: "kept", meter: "requests", scope: "*", periodStart: 0 }]),
    [0],
  );
});
