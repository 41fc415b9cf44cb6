/**
 * @module wire/stream-repair
 * The repairs a pass-through tap makes to a non-conforming upstream stream (the `repair` label of
 * `byok_stream_repairs_total`, docs/api.md), and the counter that reports each kind once per stream.
 */

/** A closed set: every name is a metric label value, never upstream text. */
export const STREAM_REPAIRS = [
  "id_drift",
  "created_drift",
  "model_drift",
  "missing_field",
  "invalid_value",
  "missing_role",
  "extra_finish_reason",
  "block_overlap",
  "block_index",
  "orphan_event",
  "tool_input_missing",
  "event_order",
] as const;

export type StreamRepair = (typeof STREAM_REPAIRS)[number];

/** Reports one kind of repair made to a stream. */
export type StreamRepairSink = (repair: StreamRepair) => void;

/** A per-stream sink that passes each kind on once, however many events needed it. */
export function onceEach(sink: StreamRepairSink | undefined): StreamRepairSink {
  const seen = new Set<StreamRepair>();
  return (repair) => {
    if (seen.has(repair)) return;
    seen.add(repair);
    sink?.(repair);
  };
}
