/**
 * @module test/support/postgres
 * A random schema per test run on the machine's PostgreSQL, dropped after; fails (never skips) with how to
 * start the server when it cannot be reached.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

/** The test database (trust auth on loopback); BYOK_TEST_DATABASE_URL points elsewhere. */
export const TEST_DATABASE_URL =
  process.env.BYOK_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export const START_POSTGRES =
  "PostgreSQL is not reachable at 127.0.0.1:5432 (database `test`, user `postgres`): start it with " +
  "`pg_ctlcluster --skip-systemctl-redirect 15 main start`, or set BYOK_TEST_DATABASE_URL";

export interface TestSchema {
  readonly url: string;
  readonly schema: string;
  /** Runs one statement on its own connection (schema-qualified names, or search_path set to the schema). */
  query<Row extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<Row[]>;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`${START_POSTGRES} (${(error as Error).message})`);
  }
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A fresh name (`byok_test_<hex>`); the schema itself is created by the store's migrations, or `create`. */
export async function createTestSchema(options: { readonly create?: boolean } = {}): Promise<TestSchema> {
  const schema = `byok_test_${randomBytes(6).toString("hex")}`;
  await withClient(TEST_DATABASE_URL, async (client) => {
    if (options.create) await client.query(`CREATE SCHEMA ${schema}`);
  });
  return {
    url: TEST_DATABASE_URL,
    schema,
    query: (text, values) =>
      withClient(TEST_DATABASE_URL, async (client) => {
        await client.query(`SET search_path = ${schema}`);
        return (await client.query(text, values)).rows;
      }),
    drop: () =>
      withClient(TEST_DATABASE_URL, async (client) => {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      }),
  };
}
