/**
 * @module library/create-served-call-sink
 * What happens to each finished model call: its usage record queued (when metering records), its metrics
 * observed, a debug line (ids, route and counts only, never a key), then the embedding app's own sink.
 */
import type { UsageRecorder } from "../metering/create-usage-recorder.ts";
import type { ServedCallSink } from "../pipeline/index.ts";
import { formatRouteHeader } from "../routing/index.ts";
import type { Logger } from "../telemetry/create-logger.ts";
import type { GatewayMetrics } from "../telemetry/create-metrics.ts";
import { toUsageRecord } from "./to-usage-record.ts";

export interface ServedCallSinkOptions {
  /** Where usage records go; null when `metering.enabled` is false (nothing recorded). */
  readonly recorder: UsageRecorder | null;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly now: () => number;
  /** The embedding app's `onServed`, called last. */
  readonly forward?: ServedCallSink;
}

export function createServedCallSink(options: ServedCallSinkOptions): ServedCallSink {
  const { recorder, metrics, logger, now, forward } = options;
  return (call) => {
    if (recorder !== null) recorder.record(toUsageRecord(call, now()));
    metrics.observeServedCall({
      operation: call.operation,
      feature: call.route.feature,
      provider: call.route.provider,
      source: call.route.source,
      status: call.status,
      latencyMs: call.latencyMs,
      inputTokens: call.usage?.inputTokens ?? null,
      outputTokens: call.usage?.outputTokens ?? null,
      audioSeconds: call.audioSeconds,
    });
    if (logger.isLevelEnabled("debug")) {
      logger.debug(
        {
          served: {
            userId: call.userId,
            route: formatRouteHeader(call.route),
            operation: call.operation,
            stream: call.stream,
            status: call.status,
            outcome: call.outcome,
            usage: call.usage,
            estimated: call.estimated,
            audioSeconds: call.audioSeconds,
            latencyMs: call.latencyMs,
          },
        },
        "model call served",
      );
    }
    forward?.(call);
  };
}
