/**
 * @module store/open-store
 * The store factory createByok calls: PostgreSQL when `storage.postgres.url` is set, else the SQLite file.
 * The PostgreSQL store (and `pg`) is loaded only when it is configured.
 */
import { join } from "node:path";
import type { GatewayConfig } from "../config/config-schema.ts";
import { createSqliteStore } from "./sqlite/create-sqlite-store.ts";
import type { Store } from "./store-types.ts";

export interface OpenStoreOptions {
  readonly storage: GatewayConfig["storage"];
  /** Where the SQLite file goes when `storage.sqlite.path` is unset. */
  readonly dataDir: string;
  /** A connection fault outside any call (an idle connection dropped by the server); never thrown. */
  readonly onError?: (error: Error) => void;
  /** Failed quota settles dropped from the replay queue (their usage is missing from the quota). */
  readonly onSettleDropped?: (count: number) => void;
}

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const { sqlite, postgres } = options.storage;
  if (postgres === undefined) {
    return createSqliteStore({
      path: sqlite.path ?? join(options.dataDir, "byok.sqlite"),
      ...(options.onSettleDropped ? { onSettleDropped: options.onSettleDropped } : {}),
    });
  }
  const { createPostgresStore } = await import("./postgres/create-postgres-store.ts");
  return createPostgresStore({
    url: postgres.url.reveal(),
    ...(postgres.schema === undefined ? {} : { schema: postgres.schema }),
    poolMax: postgres.poolMax,
    connectTimeoutMs: postgres.connectTimeoutMs,
    statementTimeoutMs: postgres.statementTimeoutMs,
    idleTimeoutMs: postgres.idleTimeoutMs,
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.onSettleDropped ? { onSettleDropped: options.onSettleDropped } : {}),
  });
}
