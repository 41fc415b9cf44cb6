export {
  createLocalInvalidationBus,
  type Invalidation,
  type InvalidationBus,
  type InvalidationTopic,
} from "./invalidation-bus.ts";
export { createSqliteStore, type SqliteStoreOptions } from "./sqlite/create-sqlite-store.ts";
export { type Migration, migrateSqlite, SQLITE_MIGRATIONS } from "./sqlite/sqlite-migrations.ts";
export type {
  EnrollmentRecord,
  EnrollmentRepository,
  Store,
  Timestamp,
  TokenRecord,
  TokenRepository,
  UserRecord,
  UserRepository,
} from "./store-types.ts";
