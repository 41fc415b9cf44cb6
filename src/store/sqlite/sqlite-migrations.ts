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
];

/** Applies the migrations newer than the database's version; returns the versions applied. */
export function migrateSqlite(
  db: DatabaseSync,
  migrations: readonly Migration[] = SQLITE_MIGRATIONS,
): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`);
  const row = db.prepare("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations").get() as {
    version: number;
  };
  const pending = migrations.filter((migration) => migration.version > row.version);
  if (pending.length === 0) return [];
  db.exec("BEGIN IMMEDIATE");
  try {
    for (const migration of pending) {
      db.exec(migration.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
        migration.version,
        migration.name,
        Date.now(),
      );
    }
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
  return pending.map((migration) => migration.version);
}
