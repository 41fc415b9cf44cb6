/**
 * @module wire/anthropic/create-event-normalizer
 * Makes one Anthropic Messages stream follow the event grammar (docs/api.md, "What every answer
 * guarantees"): content blocks one at a time with indexes contiguous from 0 (a block started while
 * another is open closes that one first; its late stop and late deltas are dropped), `tool_use` starts
 * with an `input`, `message_start` and `message_delta` with the fields the SDKs read, one `message_start`
 * first (made when none came, a repeated one dropped) and nothing after `message_stop`. A cheap byte check
 * clears the usual delta of the open block (parsed once per shape, then matched to it); others are parsed.
 */
import { type EventTemplate, learnEventTemplate } from "../openai/event-template.ts";
import { sseEventData } from "../openai/sse-event-end.ts";
import { parseUpstreamJson } from "../parse-upstream-json.ts";
import { onceEach, type StreamRepair, type StreamRepairSink } from "../stream-repair.ts";

type Json = Record<string, unknown>;

export interface EventNormalizerOptions {
  /** The model `message_start` names when the upstream's names none (the route's model). */
  readonly fallbackModel: string;
  /** Told once per kind of repair made to this stream. */
  readonly onRepair?: StreamRepairSink;
  /** A message id when the upstream sent none. */
  readonly createId?: () => string;
}

/** An event to write: its `event:` name and data. */
export interface NormalizedEvent {
  readonly name: string;
  readonly data: Json;
  /**
   * `"wire"`: written, its usage not read (a `message_start` the gateway made: counts are placeholders);
   * `"usage"`: its usage read, not written (the upstream's late `message_start` after a made one). Both when absent.
   */
  readonly only?: "wire" | "usage";
}

export interface EventNormalizer {
  /** A byte check: true when the event surely conforms and tells nothing new (relayed as received). */
  passes(event: Buffer): boolean;
  /** The events to write for a parsed event (itself, repaired or not, maybe preceded by a block's stop); null: as received. */
  normalize(data: Json): NormalizedEvent[] | null;
}

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const DELTA_START = Buffer.from('event: content_block_delta\ndata: {"type":"content_block_delta","index":');
const INDEX_KEY = Buffer.from('"index"');
/** The string values a delta's text travels in: what may differ between deltas of one template. */
const OPEN_KEYS = ["text", "partial_json", "thinking", "signature"].map((key) => Buffer.from(key));
/** The largest event a template is learned from. */
const MAX_TEMPLATE_BYTES = 4096;
const decoder = new TextDecoder();

/** Whether the event's data parses as a JSON object. */
function parsesAsObject(event: Buffer): boolean {
  const data = sseEventData(decoder.decode(event));
  if (data === null) return false;
  const parsed = parseUpstreamJson(data);
  return parsed.ok && isObject(parsed.value);
}

/** The most blocks closed early whose late events are remembered (past it, they count as orphans). */
const MAX_CLOSED_EARLY = 256;

const MESSAGE_DEFAULTS: ReadonlyArray<readonly [string, unknown]> = [
  ["stop_reason", null],
  ["stop_sequence", null],
];
const isString = (value: unknown): boolean => typeof value === "string";
/** Events that need no `message_start` before them (the SDKs skip pings and raise errors). */
const BEFORE_START = new Set<unknown>(["ping", "error"]);

export function createEventNormalizer(options: EventNormalizerOptions): EventNormalizer {
  const repair = onceEach(options.onRepair);
  const createId = options.createId ?? (() => `msg_gateway_${Date.now().toString(36)}`);
  /** The block being written: its upstream index and the index the client sees. */
  let open: { readonly upstream: unknown; readonly index: number } | null = null;
  let nextIndex = 0;
  /** Upstream indexes of blocks the normalizer closed early: their late events are dropped. */
  const closedEarly = new Set<unknown>();
  /** `content_block_delta` events of the open block whose index needs no change start with these bytes. */
  let deltaPrefix: Buffer | null = null;
  /** The last delta the check parsed: one like it (other text) passes by one comparison. */
  let template: EventTemplate | null = null;
  let outputTokens = 0;
  /** Where the message stands: no `message_start` yet, one made by the gateway, the upstream's, `message_stop` sent. */
  let phase: "before" | "made" | "started" | "stopped" = "before";

  const fill = (
    target: Json,
    field: string,
    value: unknown,
    kind: StreamRepair = "missing_field",
  ): boolean => {
    if (target[field] !== undefined) return false;
    repair(kind);
    target[field] = value;
    return true;
  };
  /** Sets `target[field]` to `make()` unless `valid` holds for it. */
  const ensure = (
    target: Json,
    field: string,
    valid: (value: unknown) => boolean,
    make: () => unknown,
  ): boolean => {
    if (valid(target[field])) return false;
    repair(target[field] === undefined ? "missing_field" : "invalid_value");
    target[field] = make();
    return true;
  };
  /** `target[field]` as an object, replaced by `{}` when it is none. */
  const objectAt = (target: Json, field: string): { value: Json; changed: boolean } => {
    const value = target[field];
    if (isObject(value)) return { value, changed: false };
    repair(value === undefined ? "missing_field" : "invalid_value");
    const made: Json = {};
    target[field] = made;
    return { value: made, changed: true };
  };
  const stopOpen = (out: NormalizedEvent[]): void => {
    if (open === null) return;
    out.push({ name: "content_block_stop", data: { type: "content_block_stop", index: open.index } });
    open = null;
    deltaPrefix = null;
  };

  const messageStart = (data: Json): boolean => {
    const { value: message, changed: made } = objectAt(data, "message");
    let changed = made;
    changed = ensure(message, "id", isString, createId) || changed;
    changed = ensure(message, "model", isString, () => options.fallbackModel) || changed;
    changed =
      ensure(
        message,
        "type",
        (type) => type === "message",
        () => "message",
      ) || changed;
    changed =
      ensure(
        message,
        "role",
        (role) => role === "assistant",
        () => "assistant",
      ) || changed;
    for (const [field, value] of MESSAGE_DEFAULTS) changed = fill(message, field, value) || changed;
    if (!Array.isArray(message.content)) {
      repair(message.content === undefined ? "missing_field" : "invalid_value");
      message.content = [];
      changed = true;
    }
    const usage = objectAt(message, "usage");
    changed = usage.changed || changed;
    changed = fill(usage.value, "input_tokens", 0) || changed;
    changed = fill(usage.value, "output_tokens", 0) || changed;
    if (typeof usage.value.output_tokens === "number") outputTokens = usage.value.output_tokens;
    return changed;
  };

  /** The `message_start` written when an event comes before any (the upstream's counts come later, if at all). */
  const madeStart = (): NormalizedEvent => {
    repair("event_order");
    phase = "made";
    const message = { id: createId(), type: "message", role: "assistant", model: options.fallbackModel };
    const rest = {
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 0, output_tokens: 0 },
    };
    return {
      name: "message_start",
      data: { type: "message_start", message: { ...message, ...rest } },
      only: "wire",
    };
  };

  const blockStart = (data: Json, out: NormalizedEvent[]): boolean => {
    let changed = false;
    if (open !== null) {
      repair("block_overlap");
      if (closedEarly.size < MAX_CLOSED_EARLY && typeof open.upstream === "number")
        closedEarly.add(open.upstream);
      stopOpen(out);
      changed = true;
    }
    const upstream = data.index;
    closedEarly.delete(upstream);
    const index = nextIndex++;
    if (upstream !== index) {
      repair(upstream === undefined ? "missing_field" : "block_index");
      data.index = index;
      changed = true;
    }
    open = { upstream, index };
    deltaPrefix = upstream === index ? Buffer.concat([DELTA_START, Buffer.from(`${index},`)]) : null;
    const { value: block, changed: made } = objectAt(data, "content_block");
    if (made) block.type = "text";
    changed = made || changed;
    if (block.type === "tool_use") changed = fill(block, "input", {}, "tool_input_missing") || changed;
    if (block.type === "text") changed = fill(block, "text", "") || changed;
    return changed;
  };

  /** A delta or stop: kept for the open block (its index set), else dropped. */
  const blockEvent = (data: Json, stop: boolean): NormalizedEvent[] | null => {
    if (open !== null && data.index === open.upstream) {
      const index = open.index;
      if (stop) {
        open = null;
        deltaPrefix = null;
      }
      if (data.index === index) return null;
      data.index = index;
      return [{ name: String(data.type), data }];
    }
    // A late stop of a block closed early was already written; anything else has no open block to go to.
    if (!(stop && closedEarly.delete(data.index))) repair("orphan_event");
    return [];
  };

  const messageDelta = (data: Json): boolean => {
    const delta = objectAt(data, "delta");
    let changed = fill(delta.value, "stop_reason", null) || delta.changed;
    changed = fill(delta.value, "stop_sequence", null) || changed;
    const usage = objectAt(data, "usage");
    return fill(usage.value, "output_tokens", outputTokens) || usage.changed || changed;
  };

  return {
    passes(event) {
      if (deltaPrefix === null || event.length <= deltaPrefix.length) return false;
      if (event.compare(deltaPrefix, 0, deltaPrefix.length, 0, deltaPrefix.length) !== 0) return false;
      if (event.indexOf(INDEX_KEY, deltaPrefix.length) !== -1) return false;
      // The bytes prove nothing of the JSON's closing: a delta matches a template learned from one that
      // parsed, or is parsed (once per shape) itself.
      if (template?.matches(event) === true) return true;
      if (!parsesAsObject(event)) return false;
      if (event.length <= MAX_TEMPLATE_BYTES) template = learnEventTemplate(event, OPEN_KEYS);
      return true;
    },
    normalize(data) {
      if (phase === "stopped") {
        repair("event_order");
        return [];
      }
      if (data.type === "message_start") {
        if (phase === "started") {
          repair("event_order");
          return [];
        }
        const changed = messageStart(data);
        if (phase === "made") {
          // The upstream's own start, late: its counts are read, the event is not written again.
          phase = "started";
          return [{ name: "message_start", data, only: "usage" }];
        }
        phase = "started";
        return changed ? [{ name: "message_start", data }] : null;
      }
      const out: NormalizedEvent[] = [];
      let changed = false;
      if (phase === "before" && !BEFORE_START.has(data.type)) {
        out.push(madeStart());
        changed = true;
      }
      if (data.type === "message_stop") phase = "stopped";
      switch (data.type) {
        case "content_block_start":
          changed = blockStart(data, out) || changed;
          break;
        case "content_block_delta":
        case "content_block_stop": {
          const events = blockEvent(data, data.type === "content_block_stop");
          if (!changed) return events;
          return [...out, ...(events ?? [{ name: String(data.type), data }])];
        }
        case "message_delta":
        case "message_stop":
          if (open !== null) {
            repair("block_overlap");
            if (closedEarly.size < MAX_CLOSED_EARLY && typeof open.upstream === "number")
              closedEarly.add(open.upstream);
            stopOpen(out);
            changed = true;
          }
          if (data.type === "message_delta") changed = messageDelta(data) || changed;
          break;
        default:
          if (!changed) return null; // ping, error, and event types Anthropic may add later
      }
      if (!changed) return null;
      out.push({ name: String(data.type), data });
      return out;
    },
  };
}
