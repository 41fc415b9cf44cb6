/**
 * @module store/postgres/open-postgres-pool
 * The node-postgres pool: limits and time-outs, `error` events handled, the schema on every connection, and
 * queries and retried transactions whose lost-connection failures become `store_unavailable` (503).
 */
import pg from "pg";
import { GatewayError } from "../../errors/gateway-error.ts";

export interface PostgresPoolOptions {
  /** `postgres://…`; a secret: never logged, never in an error. */
  readonly url: string;
  /** The schema every connection uses (search_path); created by the migrations when absent. */
  readonly schema: string;
  readonly poolMax: number;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** A connection that failed while idle, or a pool-level fault: reported, never thrown. */
  readonly onError?: (error: Error) => void;
}

/** A pool or one transaction's connection: what a repository queries. */
export interface Queryable {
  query<Row extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: readonly unknown[],
  ): Promise<pg.QueryResult<Row>>;
}

export interface PostgresPool extends Queryable {
  readonly schema: string;
  /**
   * Runs `work` on one connection inside BEGIN … COMMIT (ROLLBACK when it throws). A deadlock or
   * serialization failure retries the whole transaction (a few times); a lost connection is `store_unavailable`.
   */
  transaction<T>(work: (client: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A schema name used unquoted in SQL: letters, digits and underscores only. */
export const SCHEMA_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** SQLSTATE classes of a server that is gone, starting, shutting down or out of connections. */
const UNAVAILABLE_CLASSES = new Set(["08", "53", "57"]);
const RETRIED = new Set(["40001", "40P01"]);
const RETRIES = 5;

const INT8 = 20;
const NUMERIC = 1700;

/** Bigint millisecond timestamps, counts and sums come back as numbers (all stay below 2^53). */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8 || oid === NUMERIC
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as "text")) as pg.CustomTypesConfig["getTypeParser"],
};

/** True for a failure to reach or keep the server (not a bad statement): the caller gets a 503. */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) {
    // 57014 is a statement time-out: the server is there but too slow to answer, as good as away.
    return UNAVAILABLE_CLASSES.has(code.slice(0, 2));
  }
  if (typeof code === "string" && code.startsWith("E")) return true; // ECONNREFUSED, ECONNRESET, EPIPE…
  return /connection|timeout|terminated|Client has encountered|not queryable/i.test(error.message);
}

export function openPostgresPool(options: PostgresPoolOptions): PostgresPool {
  if (!SCHEMA_PATTERN.test(options.schema))
    throw new RangeError("storage.postgres.schema is not a plain name");
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax,
    connectionTimeoutMillis: options.connectTimeoutMs,
    idleTimeoutMillis: options.idleTimeoutMs,
    statement_timeout: options.statementTimeoutMs,
    // The client's own bound too: a server that stops answering (a stalled network) fails the query.
    query_timeout: options.statementTimeoutMs + options.connectTimeoutMs,
    idle_in_transaction_session_timeout: options.statementTimeoutMs * 2,
    keepAlive: true,
    application_name: "byok-gateway",
    options: `-c search_path=${options.schema}`,
    types,
  });
  const report = (error: Error) => {
    try {
      options.onError?.(error);
    } catch {
      // A throwing hook must not crash the process.
    }
  };
  // An idle connection whose server went away: the pool drops it; without a listener Node would crash.
  pool.on("error", report);
  // A checked-out client's socket failing between queries: the query in flight (if any) rejects anyway.
  pool.on("connect", (client) => client.on("error", report));
  /** The safe error a caller sees; the driver's own (which may name a host) goes to `onError` only. */
  const toStoreError = (error: unknown): unknown => {
    if (!isUnavailable(error)) return error;
    report(error as Error);
    return new GatewayError("store_unavailable");
  };

  const query = async <Row extends pg.QueryResultRow>(text: string, values?: readonly unknown[]) => {
    try {
      return await pool.query<Row>(text, values as unknown[]);
    } catch (error) {
      throw toStoreError(error);
    }
  };

  async function attempt<T>(work: (client: Queryable) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const result = await work({
        query: <Row extends pg.QueryResultRow>(text: string, values?: readonly unknown[]) =>
          client.query<Row>(text, values as unknown[]),
      });
      await client.query("COMMIT");
      return result;
    } catch (error) {
      try {
        await client.query("ROLLBACK");
      } catch (rollbackError) {
        broken = rollbackError instanceof Error ? rollbackError : new Error("rollback failed");
      }
      throw error;
    } finally {
      // A connection that failed mid-transaction is destroyed rather than reused.
      client.release(broken);
    }
  }

  return {
    schema: options.schema,
    query,
    async transaction(work) {
      for (let retry = 0; ; retry += 1) {
        try {
          return await attempt(work);
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          if (retry < RETRIES && typeof code === "string" && RETRIED.has(code)) continue;
          throw toStoreError(error);
        }
      }
    },
    async close() {
      await pool.end();
    },
  };
}
