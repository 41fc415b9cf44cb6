/**
 * @module store/sqlite/create-sqlite-usage-repository
 * Usage records in SQLite: batched appends (idempotent on each record's id), and totals per user/feature/source or per UTC hour/day.
 */
import type { UsageRepository, UsageSeriesRow, UsageSummaryRow } from "../store-types.ts";
import {
  assertPruneArguments,
  assertUsageRecords,
  bucketMs,
  type SeriesRow,
  type SummaryRow,
  toSeriesRow,
  toSummaryRow,
} from "../usage-rows.ts";
import type { SqliteConnection } from "./open-sqlite-connection.ts";

const TOTALS = `COUNT(*) AS requests, SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
  SUM(audio_seconds) AS audio_seconds, SUM(estimated) AS estimated_requests`;

/** A record whose id is already stored is skipped: a retried batch is never counted twice. */
const INSERT = `INSERT INTO usage_records (record_id, at, user_id, feature, operation, provider, model, source, status,
  outcome, input_tokens, output_tokens, cached_input_tokens, audio_seconds, estimated, latency_ms)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (record_id) DO NOTHING`;

/** Two statement texts rather than `($userId IS NULL OR user_id = $userId)`, so each can use its index. */
const byUser = (userId: string | undefined) => (userId === undefined ? "" : " AND user_id = $userId");
const range = (from: number, to: number, userId: string | undefined): Record<string, number | string> =>
  userId === undefined ? { from, to } : { from, to, userId };

export function createSqliteUsageRepository(connection: SqliteConnection): UsageRepository {
  const { sql, transaction } = connection;

  return {
    async append(records) {
      if (records.length === 0) return;
      assertUsageRecords(records);
      const insert = sql(INSERT);
      transaction(() => {
        for (const record of records) {
          insert.run(
            record.id,
            record.at,
            record.userId,
            record.feature,
            record.operation,
            record.provider,
            record.model,
            record.source,
            record.status,
            record.outcome,
            record.inputTokens,
            record.outputTokens,
            record.cachedInputTokens,
            record.audioSeconds,
            record.estimated ? 1 : 0,
            record.latencyMs,
          );
        }
      });
    },

    /** Ordered by user, feature (null first) and source. */
    async summarize({ userId, from, to }): Promise<UsageSummaryRow[]> {
      const rows = sql(
        `SELECT user_id, feature, source, ${TOTALS} FROM usage_records
         WHERE at >= $from AND at < $to${byUser(userId)}
         GROUP BY user_id, feature, source ORDER BY user_id, feature, source`,
      ).all(range(from, to, userId)) as unknown as SummaryRow[];
      return rows.map(toSummaryRow);
    },

    async series({ userId, from, to, bucket }): Promise<UsageSeriesRow[]> {
      const size = bucketMs(bucket);
      // The bucket's start by integer arithmetic on the UTC millisecond timestamp (floored, also below 0).
      const rows = sql(
        `SELECT at - ((at % $size) + $size) % $size AS bucket_start, source, ${TOTALS} FROM usage_records
         WHERE at >= $from AND at < $to${byUser(userId)}
         GROUP BY bucket_start, source ORDER BY bucket_start, source`,
      ).all({ ...range(from, to, userId), size }) as unknown as SeriesRow[];
      return rows.map(toSeriesRow);
    },

    async prune(before, maxRows) {
      assertPruneArguments(before, maxRows);
      return Number(
        sql(
          "DELETE FROM usage_records WHERE id IN (SELECT id FROM usage_records WHERE at < ? ORDER BY at LIMIT ?)",
        ).run(before, maxRows).changes,
      );
    },
  };
}
