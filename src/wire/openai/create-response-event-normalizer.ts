/**
 * @module wire/openai/create-response-event-normalizer
 * Makes the `response` of one stream's lifecycle events (`response.created`, `…in_progress`, `…completed`,
 * `…failed`, `…incomplete`, `…queued`) conform to the spec's `Response` (normalize-response.ts): the status
 * its event implies, and one `id` and `created_at` for the whole stream (the first event's, sent or filled).
 * Only an event naming a lifecycle type is parsed (a byte search), once however many checks ask.
 */
import { randomUUID } from "node:crypto";
import { parseUpstreamJson } from "../parse-upstream-json.ts";
import { onceEach, type StreamRepairSink } from "../stream-repair.ts";
import type { NormalizeOutcome } from "./normalize-chat-completion.ts";
import { normalizeResponse, type ResponseStatus } from "./normalize-response.ts";
import type { TokenUsage } from "./openai-usage.ts";
import { readResponsesUsage } from "./read-responses-usage.ts";
import { isObject } from "./sse-event-check.ts";
import { sseEventData } from "./sse-event-end.ts";

export interface ResponseEventNormalizerOptions {
  /** The model a Response names when the upstream names none (the route's model). */
  readonly fallbackModel: string;
  /** Told once per kind of repair made to this stream. */
  readonly onRepair?: StreamRepairSink;
  /** A new Response id; `resp_` and random by default. */
  readonly createId?: () => string;
  /** The clock, in ms (a `created_at` the upstream did not send). */
  readonly now?: () => number;
}

/** A lifecycle event, parsed and repaired. */
export interface LifecycleEvent {
  readonly type: string;
  /** The event's data (its `response` repaired in place unless invalid). */
  readonly data: Record<string, unknown>;
  readonly outcome: NormalizeOutcome;
  /** The usage a terminal event reported, read before any repair; else null. */
  readonly usage: TokenUsage | null;
}

export interface ResponseEventNormalizer {
  /** The event when it is a lifecycle event (its data a typed object); else null. */
  read(event: Buffer): LifecycleEvent | null;
}

/** Each lifecycle type and the status its Response has when it names none. */
const LIFECYCLE = new Map<string, ResponseStatus>([
  ["response.created", "in_progress"],
  ["response.in_progress", "in_progress"],
  ["response.queued", "queued"],
  ["response.completed", "completed"],
  ["response.failed", "failed"],
  ["response.incomplete", "incomplete"],
]);
const TERMINAL = new Set(["response.completed", "response.failed", "response.incomplete"]);
const NEEDLES = [...LIFECYCLE.keys()].map((type) => Buffer.from(`"${type}"`));
const decoder = new TextDecoder();

const defaultId = () => `resp_${randomUUID().replaceAll("-", "")}`;

export function createResponseEventNormalizer(
  options: ResponseEventNormalizerOptions,
): ResponseEventNormalizer {
  const createId = options.createId ?? defaultId;
  const now = options.now ?? Date.now;
  const onRepair = onceEach(options.onRepair);
  let id: string | null = null;
  let createdAt: number | null = null;
  /** The last event read, and what it read as (the tap's checks and its inspector ask in turn). */
  let last: { readonly event: Buffer; readonly read: LifecycleEvent | null } | null = null;

  const parse = (event: Buffer): LifecycleEvent | null => {
    if (!NEEDLES.some((needle) => event.indexOf(needle) !== -1)) return null;
    const data = sseEventData(decoder.decode(event));
    if (data === null) return null;
    const parsed = parseUpstreamJson(data);
    if (!parsed.ok || !isObject(parsed.value)) return null;
    const { type, response } = parsed.value;
    const status = typeof type === "string" ? LIFECYCLE.get(type) : undefined;
    if (status === undefined) return null;
    const usage =
      TERMINAL.has(type as string) && isObject(response) ? readResponsesUsage(response.usage) : null;
    const outcome = normalizeResponse(response, {
      model: options.fallbackModel,
      status,
      id: () => id ?? createId(),
      createdAt: () => createdAt ?? Math.floor(now() / 1000),
      onRepair,
    });
    if (outcome !== "invalid" && isObject(response)) {
      id ??= response.id as string;
      createdAt ??= response.created_at as number;
    }
    return { type: type as string, data: parsed.value, outcome, usage };
  };

  return {
    read(event) {
      if (last !== null && (last.event === event || last.event.equals(event))) return last.read;
      const read = parse(event);
      last = { event, read };
      return read;
    },
  };
}
