/**
 * @module wire/openai/normalize-response
 * Fills the members OpenAI's `Response` schema requires that lenient OpenAI-compatible upstreams omit (a
 * function tool's `strict` and `parameters`, `object`, `created_at`, `status`, `error`, `tool_choice`, …),
 * in place, with the spec's defaults; a value present is never changed (a `null` where the spec allows none
 * counts as missing), and one of the wrong type makes the answer invalid: refused, never guessed at. Says
 * whether it changed anything, so a conforming answer is relayed as the upstream's own text.
 */

import { RESPONSE_ERROR_CODES } from "./map-response-error-code.ts";
import type { NormalizeOutcome } from "./normalize-chat-completion.ts";

type Json = Record<string, unknown>;

export type ResponseStatus = "completed" | "failed" | "in_progress" | "cancelled" | "queued" | "incomplete";

/** The repairs counted (`byok_stream_repairs_total`): a member filled, or an empty `usage: null` removed. */
export type ResponseRepair = "missing_field" | "invalid_value";

export interface ResponseDefaults {
  /** The route's model: the answer's `model` when the upstream names none. */
  readonly model: string;
  /** The `status` when absent; else `failed` with an error, `incomplete` with details, `completed`. */
  readonly status?: ResponseStatus;
  /** A new `id` (`resp_…`) when absent. */
  readonly id: () => string;
  /** The `created_at` (Unix seconds) when absent. */
  readonly createdAt: () => number;
  readonly onRepair?: (repair: ResponseRepair) => void;
}

const STATUSES = new Set(["completed", "failed", "in_progress", "cancelled", "queued", "incomplete"]);
const TOOL_CHOICE_MODES = new Set(["none", "auto", "required"]);
const SERVICE_TIERS = new Set(["auto", "default", "flex", "scale", "priority", "fast", "ultrafast"]);
const INCOMPLETE_REASONS = new Set(["max_output_tokens", "content_filter"]);

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === "string";
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const inRange = (value: unknown, max: number): boolean =>
  value === null || (typeof value === "number" && value >= 0 && value <= max);
const isBoolean = (value: unknown) => typeof value === "boolean";
const has = (set: ReadonlySet<string>, value: unknown): boolean => isString(value) && set.has(value);

/** One required member: its default, and what a present value must be. */
interface Member {
  readonly fill: (defaults: ResponseDefaults, body: Json) => unknown;
  readonly valid: (value: unknown) => boolean;
}

const statusOf = (defaults: ResponseDefaults, body: Json): ResponseStatus =>
  defaults.status ??
  (isObject(body.error) ? "failed" : isObject(body.incomplete_details) ? "incomplete" : "completed");

/** In the order they are filled (`status` reads `error` and `incomplete_details` as sent). */
const MEMBERS: ReadonlyArray<readonly [string, Member]> = [
  ["id", { fill: (defaults) => defaults.id(), valid: isString }],
  ["object", { fill: () => "response", valid: (value) => value === "response" }],
  ["created_at", { fill: (defaults) => defaults.createdAt(), valid: isCount }],
  ["status", { fill: statusOf, valid: (value) => has(STATUSES, value) }],
  [
    "error",
    {
      fill: () => null,
      valid: (value) =>
        value === null ||
        (isObject(value) && isString(value.message) && has(RESPONSE_ERROR_CODES, value.code)),
    },
  ],
  [
    "incomplete_details",
    {
      fill: () => null,
      valid: (value) =>
        value === null ||
        (isObject(value) && (value.reason === undefined || has(INCOMPLETE_REASONS, value.reason))),
    },
  ],
  [
    "instructions",
    { fill: () => null, valid: (value) => value === null || isString(value) || Array.isArray(value) },
  ],
  ["model", { fill: (defaults) => defaults.model, valid: isString }],
  ["tools", { fill: () => [], valid: Array.isArray }],
  ["output", { fill: () => [], valid: Array.isArray }],
  ["parallel_tool_calls", { fill: () => true, valid: isBoolean }],
  [
    "metadata",
    {
      fill: () => ({}),
      valid: (value) => value === null || (isObject(value) && Object.values(value).every(isString)),
    },
  ],
  [
    "tool_choice",
    {
      fill: () => "auto",
      valid: (value) => has(TOOL_CHOICE_MODES, value) || (isObject(value) && isString(value.type)),
    },
  ],
  ["temperature", { fill: () => null, valid: (value) => inRange(value, 2) }],
  ["top_p", { fill: () => null, valid: (value) => inRange(value, 1) }],
];

const orNull =
  (valid: (value: unknown) => boolean) =>
  (value: unknown): boolean =>
    value === null || valid(value);

/** The optional scalar members: left out when absent, refused when of the wrong type. */
const OPTIONAL: ReadonlyArray<readonly [string, (value: unknown) => boolean]> = [
  ["completed_at", orNull(isCount)],
  ["previous_response_id", orNull(isString)],
  ["truncation", orNull((value) => value === "auto" || value === "disabled")],
  ["service_tier", orNull((value) => has(SERVICE_TIERS, value))],
  ["max_output_tokens", orNull(Number.isSafeInteger)],
  ["max_tool_calls", orNull(Number.isSafeInteger)],
  ["top_logprobs", orNull((value) => isCount(value) && value <= 20)],
  ["background", orNull(isBoolean)],
  ["output_text", orNull(isString)],
  ["prompt_cache_key", orNull(isString)],
  ["safety_identifier", orNull((value) => isString(value) && value.length <= 64)],
  ["prompt_cache_retention", orNull((value) => value === "in_memory" || value === "24h")],
  ["user", isString],
];

/** One normalization: whether it changed anything, and where its repairs are told. */
interface Pass {
  changed: boolean;
  readonly onRepair: ((repair: ResponseRepair) => void) | undefined;
}

/** Fills `target[field]` when absent (or a null `valid` refuses); false when a present value is invalid. */
function member(
  target: Json,
  field: string,
  valid: (value: unknown) => boolean,
  fill: () => unknown,
  pass: Pass,
) {
  const value = target[field];
  if (value !== undefined && valid(value)) return true;
  if (value !== undefined && value !== null) return false;
  target[field] = fill();
  pass.changed = true;
  pass.onRepair?.("missing_field");
  return true;
}

/** A tool: an object with a `type`; a function tool with its name, and `strict`/`parameters` filled. */
function normalizeTool(tool: unknown, pass: Pass): boolean {
  if (!isObject(tool) || !isString(tool.type)) return false;
  if (tool.type !== "function") return true;
  if (!isString(tool.name)) return false;
  if (tool.description !== undefined && !orNull(isString)(tool.description)) return false;
  if (tool.output_schema !== undefined && !orNull(isObject)(tool.output_schema)) return false;
  if (tool.defer_loading !== undefined && !isBoolean(tool.defer_loading)) return false;
  return (
    member(
      tool,
      "strict",
      (value) => value === null || typeof value === "boolean",
      () => null,
      pass,
    ) &&
    member(
      tool,
      "parameters",
      (value) => value === null || isObject(value),
      () => null,
      pass,
    )
  );
}

/** `usage`: the three counts as sent (the total filled), the details objects filled with zeros. */
function normalizeUsage(usage: Json, pass: Pass): boolean {
  if (!isCount(usage.input_tokens) || !isCount(usage.output_tokens)) return false;
  const total = () => (usage.input_tokens as number) + (usage.output_tokens as number);
  if (!member(usage, "total_tokens", isCount, total, pass)) return false;
  const details: ReadonlyArray<readonly [string, readonly string[]]> = [
    ["input_tokens_details", ["cached_tokens", "cache_write_tokens"]],
    ["output_tokens_details", ["reasoning_tokens"]],
  ];
  for (const [field, counts] of details) {
    if (!member(usage, field, isObject, () => ({}), pass)) return false;
    const counted = usage[field] as Json;
    for (const count of counts) if (!member(counted, count, isCount, () => 0, pass)) return false;
  }
  return true;
}

/** Normalizes a parsed `Response` object in place (whole, or the `response` of a lifecycle event). */
export function normalizeResponse(body: unknown, defaults: ResponseDefaults): NormalizeOutcome {
  if (!isObject(body)) return "invalid";
  const pass: Pass = { changed: false, onRepair: defaults.onRepair };
  for (const [field, { fill, valid }] of MEMBERS)
    if (!member(body, field, valid, () => fill(defaults, body), pass)) return "invalid";
  for (const [field, valid] of OPTIONAL)
    if (body[field] !== undefined && !valid(body[field])) return "invalid";
  for (const item of body.output as unknown[]) if (!isObject(item) || !isString(item.type)) return "invalid";
  for (const tool of body.tools as unknown[]) if (!normalizeTool(tool, pass)) return "invalid";
  if (body.usage === null) {
    delete body.usage;
    pass.changed = true;
    defaults.onRepair?.("invalid_value");
  } else if (body.usage !== undefined && !(isObject(body.usage) && normalizeUsage(body.usage, pass)))
    return "invalid";
  return pass.changed ? "changed" : "unchanged";
}
