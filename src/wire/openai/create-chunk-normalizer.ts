/**
 * @module wire/openai/create-chunk-normalizer
 * Makes one chat-completion stream conform to `CreateChatCompletionStreamResponse` (docs/api.md, "What
 * every answer guarantees"): the first chunk's `id`, `created` and `model` on every chunk, the spec's
 * fields present, the role on each choice's first delta, one `finish_reason` per choice, tool-call
 * `index`/`id`/`type`. A cheap byte check clears the usual conforming event (a template learned from a
 * chunk that parsed, or one parse per new shape); only others are repaired.
 */
import { randomUUID } from "node:crypto";
import { parseUpstreamJson } from "../parse-upstream-json.ts";
import { onceEach, type StreamRepair, type StreamRepairSink } from "../stream-repair.ts";
import { type EventTemplate, learnEventTemplate } from "./event-template.ts";
import { isObject } from "./sse-event-check.ts";

type Json = Record<string, unknown>;

export interface ChunkNormalizerOptions {
  /** The model a chunk names when the upstream's first chunk names none (the route's model). */
  readonly fallbackModel: string;
  /** Told once per kind of repair made to this stream. */
  readonly onRepair?: StreamRepairSink;
  /** A new id with this prefix (`chatcmpl-`, `call_`); random by default. */
  readonly createId?: (prefix: string) => string;
  /** The clock, in ms (a `created` the upstream did not send). */
  readonly now?: () => number;
}

export interface ChunkNormalizer {
  /** A byte check: true when the event surely conforms and tells nothing new (relayed as received). */
  passes(event: Buffer): boolean;
  /** Repairs a parsed chunk in place; true when it changed. An error event is left alone. */
  normalize(chunk: Json): boolean;
}

interface ChoiceState {
  finished: boolean;
  /** Tool calls started (their first delta seen), by index. */
  readonly tools: Set<number>;
  /** The index of each call id seen. */
  readonly ids: Map<string, number>;
  lastTool: number;
}

const ROLES = new Set(["developer", "system", "user", "assistant", "tool"]);
const FINISH_REASONS = new Set(["stop", "length", "tool_calls", "content_filter", "function_call"]);
const CHUNK_OBJECT = "chat.completion.chunk";

const bytes = (text: string) => Buffer.from(text);
const CHOICE_START = bytes('"choices":[{"index":');
const INDEX_KEY = bytes('"index"');
const FINISH_KEY = bytes('"finish_reason"');
const FINISH_NULL = bytes('"finish_reason":null');
const DELTA_KEY = bytes('"delta"');
const DELTA_OBJECT = bytes('"delta":{');
const TOOLS_KEY = bytes('"tool_calls"');
const TOOL_START = bytes('"tool_calls":[{"index":');
const ID_KEY = bytes('"id"');
/** The keys the stream's prefix holds besides `"id"`: past the prefix, a duplicate (the one a parser keeps). */
const PREFIX_KEYS = ['"object"', '"created"', '"model"'].map(bytes);
const ROLE_KEY = bytes('"role"');
const ROLE_ASSISTANT = bytes('"role":"assistant"');
const USAGE_KEY = bytes('"usage"');
const USAGE_NULL = bytes('"usage":null');
const LOGPROBS_OBJECT = bytes('"logprobs":{');
const CHOICES_KEY = bytes('"choices"');
const NO_CHOICES = bytes('"choices":[]');
const USAGE_COUNTS = ['"usage":{"prompt_tokens":', ',"completion_tokens":', ',"total_tokens":'].map(bytes);
const COUNT_KEYS = ['"prompt_tokens"', '"completion_tokens"', '"total_tokens"'].map(bytes);
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;
/** The string values a chunk's text travels in: what may differ between events of one template. */
const OPEN_KEYS = ["content", "arguments", "refusal", "reasoning_content", "reasoning", "obfuscation"].map(
  bytes,
);
/** The most choices, and calls per choice, a stream's state tracks (past it, each is read on its own). */
const MAX_TRACKED = 256;
/** The longest call id remembered (to place a later delta without an index). */
const MAX_ID_CHARS = 256;
/** The largest event a template is learned from. */
const MAX_TEMPLATE_BYTES = 4096;

/** The digits at `at` as a number, and where they end; null when there are none. */
function digitsAt(event: Buffer, at: number): { value: number; end: number } | null {
  let value = 0;
  let end = at;
  while (end < event.length && end - at < 9 && event[end]! >= 0x30 && event[end]! <= 0x39) {
    value = value * 10 + event[end]! - 0x30;
    end++;
  }
  return end === at ? null : { value, end };
}

/** Whether `key` occurs from `from` only as `exact` (or not at all), at most once. */
function onlyAs(event: Buffer, from: number, key: Buffer, exact: Buffer): boolean {
  const at = event.indexOf(key, from);
  if (at === -1) return true;
  return event.indexOf(exact, at) === at && event.indexOf(key, at + key.length) === -1;
}

/** Whether the event's rest (past the stream's prefix) names a key of the prefix again: `"id"`, `"object"`, `"created"`, `"model"`. */
function duplicatesPrefix(event: Buffer, from: number): boolean {
  if (event.indexOf(ID_KEY, from) !== -1) return true;
  for (const key of PREFIX_KEYS) if (event.indexOf(key, from) !== -1) return true;
  return false;
}

/**
 * Whether the event's rest (from `from`, past the stream's prefix) is a usage-only chunk in OpenAI's own
 * layout with nothing to repair: `"choices":[]`, and a usage object opening with its three counts as whole
 * numbers, each key once (a later duplicate would be the one a parser keeps).
 */
function isPlainUsageOnly(event: Buffer, from: number): boolean {
  const choicesAt = event.indexOf(NO_CHOICES, from);
  if (choicesAt === -1 || event.indexOf(CHOICES_KEY, from) !== choicesAt) return false;
  if (event.indexOf(CHOICES_KEY, choicesAt + 1) !== -1 || duplicatesPrefix(event, from)) return false;
  if (!onlyAs(event, from, USAGE_KEY, USAGE_COUNTS[0]!)) return false;
  let at = event.indexOf(USAGE_COUNTS[0]!, from);
  if (at === -1) return false;
  for (const [index, key] of USAGE_COUNTS.entries()) {
    if (
      index > 0 &&
      (at + key.length > event.length || event.compare(key, 0, key.length, at, at + key.length) !== 0)
    )
      return false;
    const count = digitsAt(event, at + key.length);
    if (count === null) return false;
    at = count.end;
  }
  if (event[at] !== COMMA && event[at] !== CLOSE_BRACE) return false;
  return COUNT_KEYS.every((key) => event.indexOf(key, event.indexOf(key, from) + 1) === -1);
}

const DATA_FIELD_BYTES = "data: ".length;

/** Whether the one-line `data: {…}` event's JSON parses as a chunk object with a `choices` array. */
function parsesAsChunk(event: Buffer): boolean {
  const parsed = parseUpstreamJson(event.toString("utf8", DATA_FIELD_BYTES));
  return parsed.ok && isObject(parsed.value) && Array.isArray(parsed.value.choices);
}

const defaultId = (prefix: string) => `${prefix}${randomUUID().replaceAll("-", "").slice(0, 24)}`;

const hasName = (fn: unknown): boolean => isObject(fn) && typeof fn.name === "string" && fn.name !== "";

const isCount = (value: unknown): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= 0;

export function createChunkNormalizer(options: ChunkNormalizerOptions): ChunkNormalizer {
  const repair = onceEach(options.onRepair);
  const createId = options.createId ?? defaultId;
  const now = options.now ?? Date.now;
  let id: string | null = null;
  let created = 0;
  let model = "";
  /** `data: {"id":…,"object":…,"created":…,"model":…` of this stream, in OpenAI's own layout. */
  let prefix: Buffer | null = null;
  const choices = new Map<number, ChoiceState>();
  /** The last event the byte check cleared: one like it (other text) is cleared by one comparison. */
  let template: EventTemplate | null = null;

  /** Sets `target[field]` to `value` when they differ, counting `kind` (`missing_field` when absent). */
  const enforce = (target: Json, field: string, value: unknown, kind: StreamRepair): boolean => {
    if (target[field] === value) return false;
    repair(target[field] === undefined ? "missing_field" : kind);
    target[field] = value;
    return true;
  };

  /** The first chunk's values become the stream's: valid ones as sent, else filled. */
  const learn = (chunk: Json): void => {
    id = typeof chunk.id === "string" && chunk.id !== "" ? chunk.id : createId("chatcmpl-");
    const sent = chunk.created;
    created =
      typeof sent === "number" && Number.isFinite(sent) && sent >= 0
        ? Math.floor(sent)
        : Math.floor(now() / 1000);
    model = typeof chunk.model === "string" && chunk.model !== "" ? chunk.model : options.fallbackModel;
    prefix = bytes(
      `data: {"id":${JSON.stringify(id)},"object":"${CHUNK_OBJECT}","created":${created},"model":${JSON.stringify(model)}`,
    );
  };

  const normalizeToolCalls = (calls: unknown[], state: ChoiceState): boolean => {
    let changed = false;
    for (const call of calls) {
      if (!isObject(call)) continue;
      if (!isCount(call.index)) {
        // The call with this id; a new call when it names a new id or a function; else the last call.
        const known = typeof call.id === "string" ? state.ids.get(call.id) : undefined;
        const fresh = typeof call.id === "string" || hasName(call.function) || state.tools.size === 0;
        const inferred = known ?? (fresh ? state.tools.size : state.lastTool);
        changed = enforce(call, "index", inferred, "invalid_value") || changed;
      }
      const index = call.index as number;
      state.lastTool = index;
      if (call.type !== undefined && call.type !== "function")
        changed = enforce(call, "type", "function", "invalid_value") || changed;
      if (state.tools.has(index)) continue;
      if (state.tools.size < MAX_TRACKED) state.tools.add(index);
      if (typeof call.id !== "string" || call.id === "")
        changed = enforce(call, "id", createId("call_"), "invalid_value") || changed;
      const callId = call.id as string;
      if (state.ids.size < MAX_TRACKED && callId.length <= MAX_ID_CHARS) state.ids.set(callId, index);
      changed = enforce(call, "type", "function", "invalid_value") || changed;
      if (!isObject(call.function)) changed = enforce(call, "function", {}, "invalid_value") || changed;
      const fn = call.function as Json;
      if (typeof fn.arguments !== "string")
        changed = enforce(fn, "arguments", "", "invalid_value") || changed;
    }
    return changed;
  };

  const normalizeChoice = (choice: Json, position: number): boolean => {
    let changed = false;
    if (!isCount(choice.index)) changed = enforce(choice, "index", position, "invalid_value");
    if (!isObject(choice.delta)) changed = enforce(choice, "delta", {}, "invalid_value") || changed;
    const delta = choice.delta as Json;
    let state = choices.get(choice.index as number);
    if (state === undefined) {
      state = { finished: false, tools: new Set(), ids: new Map(), lastTool: 0 };
      if (choices.size < MAX_TRACKED) choices.set(choice.index as number, state);
      if (delta.role === undefined) {
        repair("missing_role");
        choice.delta = { role: "assistant", ...delta };
        changed = true;
      }
    }
    const current = choice.delta as Json;
    if (current.role !== undefined && !(typeof current.role === "string" && ROLES.has(current.role)))
      changed = enforce(current, "role", "assistant", "invalid_value") || changed;
    const finish = choice.finish_reason;
    if (finish === undefined) changed = enforce(choice, "finish_reason", null, "missing_field") || changed;
    else if (finish !== null && !(typeof finish === "string" && FINISH_REASONS.has(finish)))
      changed = enforce(choice, "finish_reason", "stop", "invalid_value") || changed;
    if (choice.finish_reason !== null) {
      if (state.finished) changed = enforce(choice, "finish_reason", null, "extra_finish_reason") || changed;
      state.finished = true;
    }
    const logprobs = choice.logprobs;
    if (isObject(logprobs)) {
      if (logprobs.content === undefined)
        changed = enforce(logprobs, "content", null, "missing_field") || changed;
      if (logprobs.refusal === undefined)
        changed = enforce(logprobs, "refusal", null, "missing_field") || changed;
    } else if (logprobs !== undefined && logprobs !== null) {
      changed = enforce(choice, "logprobs", null, "invalid_value") || changed;
    }
    if (Array.isArray(current.tool_calls)) changed = normalizeToolCalls(current.tool_calls, state) || changed;
    return changed;
  };

  const normalizeUsage = (usage: Json): boolean => {
    let changed = false;
    for (const field of ["prompt_tokens", "completion_tokens"])
      if (!isCount(usage[field])) changed = enforce(usage, field, 0, "invalid_value") || changed;
    if (!isCount(usage.total_tokens)) {
      const total = (usage.prompt_tokens as number) + (usage.completion_tokens as number);
      changed = enforce(usage, "total_tokens", total, "invalid_value") || changed;
    }
    return changed;
  };

  /** The byte check proper (about a dozen searches): see `passes`. */
  const conforms = (event: Buffer): boolean => {
    if (prefix === null || event.length <= prefix.length) return false;
    if (event.compare(prefix, 0, prefix.length, 0, prefix.length) !== 0) return false;
    const from = prefix.length;
    const choiceAt = event.indexOf(CHOICE_START, from);
    if (choiceAt === -1) return false;
    const choice = digitsAt(event, choiceAt + CHOICE_START.length);
    if (choice === null || event[choice.end] !== COMMA) return false;
    const state = choices.get(choice.value);
    if (state === undefined) return false;
    if (duplicatesPrefix(event, from) || event.indexOf(LOGPROBS_OBJECT, from) !== -1) return false;
    if (!onlyAs(event, from, FINISH_KEY, FINISH_NULL) || event.indexOf(FINISH_NULL, from) === -1)
      return false;
    if (!onlyAs(event, from, DELTA_KEY, DELTA_OBJECT) || event.indexOf(DELTA_OBJECT, from) === -1)
      return false;
    if (!onlyAs(event, from, ROLE_KEY, ROLE_ASSISTANT) || !onlyAs(event, from, USAGE_KEY, USAGE_NULL))
      return false;
    const next = event.indexOf(INDEX_KEY, choice.end);
    const toolsAt = event.indexOf(TOOLS_KEY, from);
    if (toolsAt === -1) return next === -1;
    // One tool call's continuation (its first delta, with the id, was parsed).
    if (event.indexOf(TOOL_START, from) !== toolsAt || event.indexOf(TOOLS_KEY, toolsAt + 1) !== -1)
      return false;
    const tool = digitsAt(event, toolsAt + TOOL_START.length);
    if (tool === null || next !== toolsAt + TOOL_START.length - INDEX_KEY.length - 1) return false;
    return state.tools.has(tool.value) && event.indexOf(INDEX_KEY, tool.end) === -1;
  };

  /** A usage-only chunk of this stream (its prefix) with nothing to repair. */
  const isUsageOnly = (event: Buffer): boolean =>
    prefix !== null &&
    event.length > prefix.length &&
    event.compare(prefix, 0, prefix.length, 0, prefix.length) === 0 &&
    isPlainUsageOnly(event, prefix.length);

  return {
    passes(event) {
      // What the check cleared stays cleared: the state it reads (choices, calls started) only grows.
      if (template?.matches(event) === true) return true;
      const shaped = conforms(event);
      if (!shaped && !isUsageOnly(event)) return false;
      // The byte checks prove nothing of the JSON's closing (`{"a":{"b":1}` ends in `}` too): a new shape
      // is parsed once, and a template is learned only from a chunk that parsed.
      if (!parsesAsChunk(event)) return false;
      if (shaped && event.length <= MAX_TEMPLATE_BYTES) template = learnEventTemplate(event, OPEN_KEYS);
      return true;
    },
    normalize(chunk) {
      if (!Array.isArray(chunk.choices) && chunk.error !== undefined && chunk.error !== null) return false;
      if (id === null) learn(chunk);
      let changed = enforce(chunk, "id", id, "id_drift");
      changed = enforce(chunk, "object", CHUNK_OBJECT, "invalid_value") || changed;
      changed = enforce(chunk, "created", created, "created_drift") || changed;
      changed = enforce(chunk, "model", model, "model_drift") || changed;
      if (!Array.isArray(chunk.choices)) changed = enforce(chunk, "choices", [], "invalid_value") || changed;
      (chunk.choices as unknown[]).forEach((choice, position) => {
        if (isObject(choice)) changed = normalizeChoice(choice, position) || changed;
      });
      if (isObject(chunk.usage)) changed = normalizeUsage(chunk.usage) || changed;
      return changed;
    },
  };
}
