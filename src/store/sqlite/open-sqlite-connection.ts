/**
 * @module store/sqlite/open-sqlite-connection
 * One node:sqlite connection (WAL, busy timeout), its prepared-statement cache and synchronous transactions.
 */
import { chmodSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";

export interface SqliteConnection {
  readonly db: DatabaseSync;
  /** The prepared statement for `text`, prepared once per connection and reused. */
  sql(text: string): StatementSync;
  /**
   * Runs `work` inside `BEGIN IMMEDIATE … COMMIT` (rolled back when it throws). `work` is synchronous:
   * nothing else on this connection runs in between, and the write lock shuts out every other
   * connection and process on the same file until it commits.
   */
  transaction<T>(work: () => T): T;
  close(): void;
}

/** How long a connection waits for another one's write lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

export function openSqliteConnection(path: string): SqliteConnection {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new DatabaseSync(path);
  if (path !== ":memory:") chmodSync(path, 0o600);
  // The busy timeout first: switching a new file to WAL also waits for processes opening it at the same time.
  db.exec(
    `PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;`,
  );

  const statements = new Map<string, StatementSync>();
  return {
    db,
    sql(text) {
      let statement = statements.get(text);
      if (statement === undefined) {
        statement = db.prepare(text);
        statements.set(text, statement);
      }
      return statement;
    },
    transaction(work) {
      db.exec("BEGIN IMMEDIATE");
      try {
        const result = work();
        db.exec("COMMIT");
        return result;
      } catch (error) {
        if (db.isTransaction) db.exec("ROLLBACK");
        throw error;
      }
    },
    close() {
      statements.clear();
      if (db.isOpen) db.close();
    },
  };
}
