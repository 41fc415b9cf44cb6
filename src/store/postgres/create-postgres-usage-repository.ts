/**
 * @module store/postgres/create-postgres-usage-repository
 * Usage records in PostgreSQL: a batch appended in one statement, idempotent on each record's id (a retried
 * batch whose first acknowledgement was lost is not counted twice); totals per user/feature/source or per UTC hour/day.
 */
import type { UsageRecord, UsageRepository, UsageSeriesRow, UsageSummaryRow } from "../store-types.ts";
import {
  assertPruneArguments,
  assertUsageRecords,
  bucketMs,
  type SeriesRow,
  type SummaryRow,
  toSeriesRow,
  toSummaryRow,
} from "../usage-rows.ts";
import type { PostgresPool } from "./open-postgres-pool.ts";

const TOTALS = `COUNT(*) AS requests, SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
  SUM(audio_seconds) AS audio_seconds, SUM(estimated::int) AS estimated_requests`;

/** Column → its array type: the whole batch is one INSERT over unnest(), one round trip, atomic on its own. */
const COLUMNS: ReadonlyArray<readonly [string, string, (record: UsageRecord) => unknown]> = [
  ["record_id", "text", (record) => record.id],
  ["at", "bigint", (record) => record.at],
  ["user_id", "text", (record) => record.userId],
  ["feature", "text", (record) => record.feature],
  ["operation", "text", (record) => record.operation],
  ["provider", "text", (record) => record.provider],
  ["model", "text", (record) => record.model],
  ["source", "text", (record) => record.source],
  ["status", "integer", (record) => record.status],
  ["outcome", "text", (record) => record.outcome],
  ["input_tokens", "bigint", (record) => record.inputTokens],
  ["output_tokens", "bigint", (record) => record.outputTokens],
  ["cached_input_tokens", "bigint", (record) => record.cachedInputTokens],
  ["audio_seconds", "double precision", (record) => record.audioSeconds],
  ["estimated", "boolean", (record) => record.estimated],
  ["latency_ms", "double precision", (record) => record.latencyMs],
];

const INSERT = `INSERT INTO usage_records (${COLUMNS.map(([name]) => name).join(", ")})
  SELECT * FROM unnest(${COLUMNS.map(([, type], index) => `$${index + 1}::${type}[]`).join(", ")})
  ON CONFLICT (record_id) DO NOTHING`;

/** Binary order (as SQLite's), whatever the database's collation; a null feature first. */
const ORDER_SUMMARY = `ORDER BY user_id COLLATE "C", feature COLLATE "C" NULLS FIRST, source COLLATE "C"`;

/** Two statement texts rather than `($3 IS NULL OR user_id = $3)`, so each can use its index. */
const byUser = (userId: string | undefined, index: number) =>
  userId === undefined ? "" : ` AND user_id = $${index}`;
const range = (from: number, to: number, userId: string | undefined): unknown[] =>
  userId === undefined ? [from, to] : [from, to, userId];

export function createPostgresUsageRepository(pool: PostgresPool): UsageRepository {
  return {
    async append(records) {
      if (records.length === 0) return;
      assertUsageRecords(records);
      await pool.query(
        INSERT,
        COLUMNS.map(([, , read]) => records.map(read)),
      );
    },

    async summarize({ userId, from, to }): Promise<UsageSummaryRow[]> {
      const { rows } = await pool.query<SummaryRow>(
        `SELECT user_id, feature, source, ${TOTALS} FROM usage_records
         WHERE at >= $1 AND at < $2${byUser(userId, 3)}
         GROUP BY user_id, feature, source ${ORDER_SUMMARY}`,
        range(from, to, userId),
      );
      return rows.map(toSummaryRow);
    },

    async series({ userId, from, to, bucket }): Promise<UsageSeriesRow[]> {
      const size = bucketMs(bucket);
      // The bucket's start by integer arithmetic on the UTC millisecond timestamp (floored, also below 0).
      const { rows } = await pool.query<SeriesRow>(
        `SELECT at - ((at % $3::bigint) + $3::bigint) % $3::bigint AS bucket_start, source, ${TOTALS}
         FROM usage_records WHERE at >= $1 AND at < $2${byUser(userId, 4)}
         GROUP BY bucket_start, source ORDER BY bucket_start, source COLLATE "C"`,
        [...range(from, to, userId).slice(0, 2), size, ...(userId === undefined ? [] : [userId])],
      );
      return rows.map(toSeriesRow);
    },

    async prune(before, maxRows) {
      assertPruneArguments(before, maxRows);
      const result = await pool.query(
        "DELETE FROM usage_records WHERE seq IN (SELECT seq FROM usage_records WHERE at < $1 ORDER BY at LIMIT $2)",
        [before, maxRows],
      );
      return result.rowCount ?? 0;
    },
  };
}
