/**
 * @module store/postgres/create-postgres-store
 * The shared store on PostgreSQL: one pool, the schema migrated at open (once across replicas), and one
 * repository per file; every replica of a gateway sees the same users, tokens, enrollments, usage and counters.
 */
import { createDurableQuotaCounters } from "../create-durable-quota-counters.ts";
import { startPeriodicPrune } from "../start-periodic-prune.ts";
import { ENDED_COUNTER_KEEP_MS, type Store } from "../store-types.ts";
import { createPostgresEnrollmentRepository } from "./create-postgres-enrollment-repository.ts";
import {
  createPostgresQuotaCounterRepository,
  pruneEndedPostgresCounters,
} from "./create-postgres-quota-counter-repository.ts";
import { createPostgresTokenRepository } from "./create-postgres-token-repository.ts";
import { createPostgresUsageRepository } from "./create-postgres-usage-repository.ts";
import { createPostgresUserRepository } from "./create-postgres-user-repository.ts";
import { openPostgresPool } from "./open-postgres-pool.ts";
import { migratePostgres } from "./postgres-migrations.ts";

export interface PostgresStoreOptions {
  /** `postgres://user@host:port/database`; a secret (it may hold a password). */
  readonly url: string;
  /** The schema the tables live in (created when absent); `public` by default. */
  readonly schema?: string;
  /** Connections at most; default 10. */
  readonly poolMax?: number;
  /** Default 5000. */
  readonly connectTimeoutMs?: number;
  /** Each statement's server-side limit; default 5000. */
  readonly statementTimeoutMs?: number;
  /** An idle connection is closed after this; default 30000. */
  readonly idleTimeoutMs?: number;
  /** Connection faults outside a call (an idle connection whose server went away); never thrown. */
  readonly onError?: (error: Error) => void;
  /** The clock quota leases are timed by: the server's (default), or the callers' (tests with fake times). */
  readonly clock?: "store" | "caller";
  /** Failed quota settles dropped from the replay queue (its bound, or still failing at close). */
  readonly onSettleDropped?: (count: number) => void;
}

/** Opens the pool and migrates; rejects (and closes the pool) when the server cannot be reached. */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const pool = openPostgresPool({
    url: options.url,
    schema: options.schema ?? "public",
    poolMax: options.poolMax ?? 10,
    connectTimeoutMs: options.connectTimeoutMs ?? 5000,
    statementTimeoutMs: options.statementTimeoutMs ?? 5000,
    idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
    ...(options.onError ? { onError: options.onError } : {}),
  });
  try {
    await migratePostgres(pool);
  } catch (error) {
    await pool.close().catch(() => undefined);
    throw error;
  }
  const counters = createDurableQuotaCounters(
    createPostgresQuotaCounterRepository(pool, options.clock === undefined ? {} : { clock: options.clock }),
    options.onSettleDropped ? { onSettleDropped: options.onSettleDropped } : {},
  );
  // Counters of periods long over, hourly (the first a while after start).
  const endedCounters = startPeriodicPrune({
    prune: async (before, maxRows) => pruneEndedPostgresCounters(pool, before, maxRows),
    keepMs: ENDED_COUNTER_KEEP_MS,
  });
  // Leases of a replica that died are dropped at start (the rest expire as they are met). Housekeeping only:
  // every check ignores expired leases anyway. On the server's clock (`Date.now()` is read only with `caller`).
  counters.sweepExpired(Date.now()).catch(() => undefined);
  let closed = false;

  return {
    kind: "postgres",
    users: createPostgresUserRepository(pool),
    tokens: createPostgresTokenRepository(pool),
    enrollments: createPostgresEnrollmentRepository(pool),
    usage: createPostgresUsageRepository(pool),
    counters,
    async ping() {
      await pool.query("SELECT 1");
    },
    async close() {
      if (closed) return;
      closed = true;
      await endedCounters.close();
      await counters.close(); // failed settles replayed once more while the pool is open
      await pool.close();
    },
  };
}
