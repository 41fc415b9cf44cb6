export { checkUsageRecord, type UsageRecordCheck } from "./check-usage-record.ts";
export {
  createLocalInvalidationBus,
  type Invalidation,
  type InvalidationBus,
  type InvalidationTopic,
} from "./invalidation-bus.ts";
export { type OpenStoreOptions, openStore } from "./open-store.ts";
export { createPostgresStore, type PostgresStoreOptions } from "./postgres/create-postgres-store.ts";
export { migratePostgres, POSTGRES_MIGRATIONS } from "./postgres/postgres-migrations.ts";
export { createSqliteStore, type SqliteStoreOptions } from "./sqlite/create-sqlite-store.ts";
export { type Migration, migrateSqlite, SQLITE_MIGRATIONS } from "./sqlite/sqlite-migrations.ts";
export {
  type ChargeResult,
  type CounterCharge,
  type CounterKey,
  type CounterReservation,
  type CounterSettlement,
  type CounterState,
  type EnrollmentRecord,
  type EnrollmentRepository,
  METERS,
  type Meter,
  type QuotaCounterRepository,
  type ReservationId,
  type ReserveResult,
  type SettleOptions,
  type Store,
  type Timestamp,
  type TokenRecord,
  type TokenRepository,
  type UsageQuery,
  type UsageRecord,
  type UsageRepository,
  type UsageSeriesRow,
  type UsageSource,
  type UsageSummaryRow,
  type UsageTotals,
  type UserRecord,
  type UserRepository,
} from "./store-types.ts";
