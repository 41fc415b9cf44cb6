/**
 * @module store/postgres/postgres-migrations
 * Versioned schema migrations for the PostgreSQL store, run at start under a transaction-scoped advisory
 * lock, so replicas starting together migrate the schema once.
 */
import type { Migration } from "../sqlite/sqlite-migrations.ts";
import type { PostgresPool } from "./open-postgres-pool.ts";

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "users, tokens and enrollments",
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        plan TEXT,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
      );
      CREATE TABLE tokens (
        hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
      );
      CREATE INDEX tokens_user ON tokens(user_id);
      CREATE TABLE enrollments (
        user_id TEXT PRIMARY KEY,
        custom_base_url TEXT,
        custom_model TEXT,
        enrolled_at BIGINT NOT NULL,
        last_seen_at BIGINT NOT NULL
      );
      CREATE TABLE enrollment_fingerprints (
        user_id TEXT NOT NULL REFERENCES enrollments(user_id) ON DELETE CASCADE,
        provider TEXT NOT NULL,
        digest TEXT NOT NULL,
        pepper_id TEXT NOT NULL,
        PRIMARY KEY (user_id, provider)
      );
    `,
  },
  {
    version: 2,
    name: "usage records (idempotent on their id) and quota counters",
    sql: `
      CREATE TABLE usage_records (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        record_id TEXT NOT NULL UNIQUE,
        at BIGINT NOT NULL,
        user_id TEXT NOT NULL,
        feature TEXT,
        operation TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('byok', 'operator')),
        status INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        input_tokens BIGINT NOT NULL,
        output_tokens BIGINT NOT NULL,
        cached_input_tokens BIGINT NOT NULL,
        audio_seconds DOUBLE PRECISION NOT NULL,
        estimated BOOLEAN NOT NULL,
        latency_ms DOUBLE PRECISION NOT NULL
      );
      CREATE INDEX usage_records_user_at ON usage_records(user_id, at);
      CREATE INDEX usage_records_at ON usage_records(at);
      CREATE TABLE quota_counters (
        user_id TEXT NOT NULL,
        meter TEXT NOT NULL,
        scope TEXT NOT NULL,
        period_start BIGINT NOT NULL,
        used DOUBLE PRECISION NOT NULL CHECK (used >= 0),
        PRIMARY KEY (user_id, meter, scope, period_start)
      );
    `,
  },
  {
    version: 3,
    name: "quota reservations (leases held by in-flight calls)",
    sql: `
      CREATE TABLE quota_reservations (
        id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        meter TEXT NOT NULL,
        scope TEXT NOT NULL,
        period_start BIGINT NOT NULL,
        amount DOUBLE PRECISION NOT NULL CHECK (amount >= 0),
        expires_at BIGINT NOT NULL,
        PRIMARY KEY (id, user_id, meter, scope, period_start)
      );
      CREATE INDEX quota_reservations_counter
        ON quota_reservations(user_id, meter, scope, period_start, expires_at);
      CREATE INDEX quota_reservations_expiry ON quota_reservations(expires_at);
    `,
  },
  {
    version: 4,
    name: "the custom endpoint's capabilities declared at enrollment",
    // A JSON array of capability names; NULL: nothing declared (rows enrolled before this).
    sql: "ALTER TABLE enrollments ADD COLUMN custom_capabilities TEXT",
  },
  {
    version: 5,
    name: "quota settle markers (a replayed settle counts once)",
    // One row per settle, written in its transaction; pruned by sweepExpired after SETTLE_MARKER_KEEP_MS.
    sql: `
      CREATE TABLE quota_settled (
        id TEXT PRIMARY KEY,
        settled_at BIGINT NOT NULL
      );
      CREATE INDEX quota_settled_at ON quota_settled(settled_at);
    `,
  },
  {
    version: 6,
    name: "counters found by their period (the sweep deletes those of periods long over)",
    sql: "CREATE INDEX IF NOT EXISTS quota_counters_period ON quota_counters(period_start)",
  },
];

/** The advisory lock's first key ("byok" in ASCII); the second is the schema's hash (schemas migrate apart). */
const MIGRATION_LOCK = 0x62796f6b;

/**
 * Creates the schema when absent and applies the migrations newer than its version, in one transaction
 * under `pg_advisory_xact_lock` (released at COMMIT or ROLLBACK, also when the connection dies): replicas
 * starting together wait for the first, then find nothing left to do. Returns the versions applied.
 */
export async function migratePostgres(
  pool: PostgresPool,
  migrations: readonly Migration[] = POSTGRES_MIGRATIONS,
): Promise<number[]> {
  return pool.transaction(async (client) => {
    await client.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [MIGRATION_LOCK, pool.schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${pool.schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${pool.schema}.schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
    const { rows } = await client.query<{ version: number }>(
      `SELECT COALESCE(MAX(version), 0) AS version FROM ${pool.schema}.schema_migrations`,
    );
    const current = rows[0]?.version ?? 0;
    const pending = migrations.filter((migration) => migration.version > current);
    for (const migration of pending) {
      await client.query(migration.sql);
      await client.query(
        `INSERT INTO ${pool.schema}.schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
        [migration.version, migration.name, Date.now()],
      );
    }
    return pending.map((migration) => migration.version);
  });
}
