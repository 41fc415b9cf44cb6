/**
 * @module store/sqlite/create-sqlite-store
 * The embedded default store on node:sqlite: one file in the data directory, migrated at open; users,
 * tokens and enrollments here, usage and quota counters in their own repositories.
 */
import type { StoredFingerprint } from "../../keys/pepper-ring.ts";
import { isProviderId, type ProviderId } from "../../keys/provider-ids.ts";
import { createDurableQuotaCounters } from "../create-durable-quota-counters.ts";
import { startPeriodicPrune } from "../start-periodic-prune.ts";
import {
  ENDED_COUNTER_KEEP_MS,
  type EnrollmentRecord,
  type Store,
  type TokenRecord,
  type UserRecord,
} from "../store-types.ts";
import { formatStoredCapabilities, parseStoredCapabilities } from "../stored-capabilities.ts";
import {
  createSqliteQuotaCounterRepository,
  pruneEndedSqliteCounters,
} from "./create-sqlite-quota-counter-repository.ts";
import { createSqliteUsageRepository } from "./create-sqlite-usage-repository.ts";
import { openSqliteConnection } from "./open-sqlite-connection.ts";
import { migrateSqlite } from "./sqlite-migrations.ts";

export interface SqliteStoreOptions {
  /** A file path, or `:memory:`. */
  readonly path: string;
  /** Failed quota settles dropped from the replay queue (its bound, or still failing at close). */
  readonly onSettleDropped?: (count: number) => void;
}

interface UserRow {
  id: string;
  plan: string | null;
  created_at: number;
  revoked_at: number | null;
}
interface TokenRow {
  hash: string;
  user_id: string;
  created_at: number;
  revoked_at: number | null;
}
interface EnrollmentRow {
  user_id: string;
  custom_base_url: string | null;
  custom_model: string | null;
  custom_capabilities: string | null;
  enrolled_at: number;
  last_seen_at: number;
}
interface FingerprintRow {
  provider: string;
  digest: string;
  pepper_id: string;
}

const toUser = (row: UserRow): UserRecord => ({
  id: row.id,
  plan: row.plan,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

/**
 * Rows a SQLite prune deletes per statement: the statement runs on the event loop, so it stays a few ms
 * (a review measured 130 ms for 5,000 usage records); `pruneBatch` tells other pruners (usage retention).
 */
const SQLITE_PRUNE_BATCH = 500;

export function createSqliteStore(options: SqliteStoreOptions): Store {
  const connection = openSqliteConnection(options.path);
  migrateSqlite(connection.db);
  const { sql, transaction } = connection;
  const counters = createDurableQuotaCounters(
    createSqliteQuotaCounterRepository(connection),
    options.onSettleDropped ? { onSettleDropped: options.onSettleDropped } : {},
  );
  // Counters of periods long over, hourly (the first a while after start).
  const endedCounters = startPeriodicPrune({
    prune: async (before, maxRows) => pruneEndedSqliteCounters(connection, before, maxRows),
    keepMs: ENDED_COUNTER_KEEP_MS,
    batch: SQLITE_PRUNE_BATCH,
  });
  // Leases of a process that died are dropped at start (the rest expire as they are met).
  // Housekeeping only: every check ignores expired leases anyway.
  counters.sweepExpired(Date.now()).catch(() => undefined);

  /** The user's enrollment as stored now (synchronous: usable inside a transaction). */
  const readEnrollment = (userId: string): EnrollmentRecord | null => {
    const row = sql("SELECT * FROM enrollments WHERE user_id = ?").get(userId) as EnrollmentRow | undefined;
    if (!row) return null;
    const fingerprints: Partial<Record<ProviderId, StoredFingerprint>> = {};
    const rows = sql("SELECT provider, digest, pepper_id FROM enrollment_fingerprints WHERE user_id = ?").all(
      userId,
    ) as unknown as FingerprintRow[];
    for (const fingerprint of rows) {
      if (isProviderId(fingerprint.provider)) {
        fingerprints[fingerprint.provider] = { digest: fingerprint.digest, pepperId: fingerprint.pepper_id };
      }
    }
    return {
      userId: row.user_id,
      fingerprints,
      customBaseUrl: row.custom_base_url,
      customModel: row.custom_model,
      customCapabilities: parseStoredCapabilities(row.custom_capabilities),
      enrolledAt: row.enrolled_at,
      lastSeenAt: row.last_seen_at,
    };
  };

  return {
    kind: "sqlite",
    pruneBatch: SQLITE_PRUNE_BATCH,
    users: {
      async create(user) {
        const result = sql(
          "INSERT INTO users (id, plan, created_at, revoked_at) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
        ).run(user.id, user.plan, user.createdAt, user.revokedAt);
        return result.changes === 1;
      },
      async get(id) {
        const row = sql("SELECT * FROM users WHERE id = ?").get(id) as UserRow | undefined;
        return row ? toUser(row) : null;
      },
      async list() {
        return (sql("SELECT * FROM users ORDER BY created_at, id").all() as unknown as UserRow[]).map(toUser);
      },
      async revoke(id, at) {
        return transaction(() => {
          const result = sql("UPDATE users SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?").run(
            at,
            id,
          );
          sql("UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE user_id = ?").run(at, id);
          return result.changes === 1;
        });
      },
      async setPlan(id, plan) {
        return sql("UPDATE users SET plan = ? WHERE id = ?").run(plan, id).changes === 1;
      },
    },
    tokens: {
      async add(token) {
        sql("INSERT INTO tokens (hash, user_id, created_at, revoked_at) VALUES (?, ?, ?, ?)").run(
          token.hash,
          token.userId,
          token.createdAt,
          token.revokedAt,
        );
      },
      async findByHash(hash): Promise<TokenRecord | null> {
        const row = sql("SELECT * FROM tokens WHERE hash = ?").get(hash) as TokenRow | undefined;
        return row
          ? { hash: row.hash, userId: row.user_id, createdAt: row.created_at, revokedAt: row.revoked_at }
          : null;
      },
    },
    enrollments: {
      async get(userId) {
        return readEnrollment(userId);
      },
      async put(enrollment) {
        // BEGIN IMMEDIATE takes the write lock before the read: what it answers is what it replaced.
        return transaction(() => {
          const previous = readEnrollment(enrollment.userId);
          sql("DELETE FROM enrollments WHERE user_id = ?").run(enrollment.userId);
          sql(
            "INSERT INTO enrollments (user_id, custom_base_url, custom_model, custom_capabilities, enrolled_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)",
          ).run(
            enrollment.userId,
            enrollment.customBaseUrl,
            enrollment.customModel,
            formatStoredCapabilities(enrollment.customCapabilities),
            enrollment.enrolledAt,
            enrollment.lastSeenAt,
          );
          const insert = sql(
            "INSERT INTO enrollment_fingerprints (user_id, provider, digest, pepper_id) VALUES (?, ?, ?, ?)",
          );
          for (const [provider, stored] of Object.entries(enrollment.fingerprints)) {
            insert.run(enrollment.userId, provider, stored.digest, stored.pepperId);
          }
          return previous;
        });
      },
      async touch(userId, at) {
        return sql("UPDATE enrollments SET last_seen_at = ? WHERE user_id = ?").run(at, userId).changes === 1;
      },
      async replaceFingerprint(userId, provider, previous, next) {
        const result = sql(
          "UPDATE enrollment_fingerprints SET digest = ?, pepper_id = ? WHERE user_id = ? AND provider = ? AND digest = ? AND pepper_id = ?",
        ).run(next.digest, next.pepperId, userId, provider, previous.digest, previous.pepperId);
        return result.changes === 1;
      },
      async delete(userId) {
        return sql("DELETE FROM enrollments WHERE user_id = ?").run(userId).changes === 1;
      },
    },
    usage: createSqliteUsageRepository(connection),
    counters,
    async ping() {
      sql("SELECT 1").get();
    },
    async close() {
      await endedCounters.close();
      await counters.close(); // failed settles replayed once more while the file is open
      connection.close();
    },
  };
}
