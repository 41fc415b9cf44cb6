/**
 * @module library/to-usage-record
 * A served call as the usage record metering appends: one fresh id per call, so a retried append never counts twice.
 */
import { createUsageRecordIds } from "../metering/create-usage-record-ids.ts";
import type { ServedCall } from "../pipeline/index.ts";
import type { UsageRecord } from "../store/store-types.ts";

/**
 * One generator per process (a worker or a restarted process draws its own random prefix): ascending ids,
 * so the stores' unique index on the id grows at one end instead of dirtying a random page per record.
 */
const nextRecordId = createUsageRecordIds();

export function toUsageRecord(call: ServedCall, at: number): UsageRecord {
  return {
    id: nextRecordId(),
    at,
    userId: call.userId,
    feature: call.route.feature,
    operation: call.operation,
    // The name X-BYOK-Route shows: the provider's id for its own connection, else the connection's name.
    provider: call.route.connection,
    model: call.route.model,
    source: call.route.source,
    status: call.status,
    outcome: call.outcome,
    inputTokens: call.usage?.inputTokens ?? 0,
    outputTokens: call.usage?.outputTokens ?? 0,
    cachedInputTokens: call.usage?.cachedInputTokens ?? 0,
    audioSeconds: call.audioSeconds ?? 0,
    estimated: call.estimated,
    latencyMs: call.latencyMs,
  };
}
