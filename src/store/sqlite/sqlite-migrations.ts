/**
 * @module store/sqlite/sqlite-migrations
 * Versioned schema migrations for the SQLite store, applied in order inside one transaction at start.
 */
import type { DatabaseSync } from "node:sqlite";

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "users, tokens and enrollments",
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        plan TEXT,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      ) STRICT;
      CREATE TABLE tokens (
        hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      ) STRICT;
      CREATE INDEX tokens_user ON tokens(user_id);
      CREATE TABLE enrollments (
        user_id TEXT PRIMARY KEY,
        custom_base_url TEXT,
        custom_model TEXT,
        enrolled_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE enrollment_fingerprints (
        user_id TEXT NOT NULL REFERENCES enrollments(user_id) ON DELETE CASCADE,
        provider TEXT NOT NULL,
        digest TEXT NOT NULL,
        pepper_id TEXT NOT NULL,
        PRIMARY KEY (user_id, provider)
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: "usage records and quota counters",
    sql: `
      CREATE TABLE usage_records (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        user_id TEXT NOT NULL,
        feature TEXT,
        operation TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('byok', 'operator')),
        status INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cached_input_tokens INTEGER NOT NULL,
        audio_seconds REAL NOT NULL,
        estimated INTEGER NOT NULL CHECK (estimated IN (0, 1)),
        latency_ms REAL NOT NULL
      ) STRICT;
      CREATE INDEX usage_records_user_at ON usage_records(user_id, at);
      CREATE INDEX usage_records_at ON usage_records(at);
      CREATE TABLE quota_counters (
        user_id TEXT NOT NULL,
        meter TEXT NOT NULL,
        scope TEXT NOT NULL,
        period_start INTEGER NOT NULL,
        used REAL NOT NULL CHECK (used >= 0),
        PRIMARY KEY (user_id, meter, scope, period_start)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    name: "quota reservations (leases held by in-flight calls)",
    // quota_counters.used stays the committed usage; what in-flight calls hold lives here, one row per
    // call and counter, until the call settles or its lease expires (its process died).
    sql: `
      CREATE TABLE quota_reservations (
        id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        meter TEXT NOT NULL,
        scope TEXT NOT NULL,
        period_start INTEGER NOT NULL,
        amount REAL NOT NULL CHECK (amount >= 0),
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (id, user_id, meter, scope, period_start)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX quota_reservations_counter
        ON quota_reservations(user_id, meter, scope, period_start, expires_at);
      CREATE INDEX quota_reservations_expiry ON quota_reservations(expires_at);
    `,
  },
  {
    version: 4,
    name: "usage records idempotent on their id",
    // Rows written before this have no id (NULL, which a UNIQUE index never compares equal).
    sql: `
      ALTER TABLE usage_records ADD COLUMN record_id TEXT;
      CREATE UNIQUE INDEX usage_records_record_id ON usage_records(record_id);
    `,
  },
  {
    version: 5,
    name: "the custom endpoint's capabilities declared at enrollment",
    // A JSON array of capability names; NULL: nothing declared (rows enrolled before this).
    sql: "ALTER TABLE enrollments ADD COLUMN custom_capabilities TEXT;",
  },
  {
    version: 6,
    name: "quota settle markers (a replayed settle counts once)",
    // One row per settle, written in its transaction; pruned by sweepExpired after SETTLE_MARKER_KEEP_MS.
    sql: `
      CREATE TABLE quota_settled (
        id TEXT PRIMARY KEY,
        settled_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX quota_settled_at ON quota_settled(settled_at);
    `,
  },
  {
    version: 7,
    name: "counters found by their period (the sweep deletes those of periods long over)",
    sql: "CREATE INDEX quota_counters_period ON quota_counters(period_start);",
  },
];

/**
 * Applies the migrations newer than the database's version; returns the versions applied. The version is
 * read under the write lock, so processes starting together on one file migrate it once.
 */
export function migrateSqlite(
  db: DatabaseSync,
  migrations: readonly Migration[] = SQLITE_MIGRATIONS,
): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`);
  db.exec("BEGIN IMMEDIATE");
  try {
    const row = db.prepare("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations").get() as {
      version: number;
    };
    const pending = migrations.filter((migration) => migration.version > row.version);
    for (const migration of pending) {
      db.exec(migration.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
        migration.version,
        migration.name,
        Date.now(),
      );
    }
    db.exec("COMMIT");
    return pending.map((migration) => migration.version);
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}
