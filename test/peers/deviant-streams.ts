/**
 * @module test/peers/deviant-streams
 * Streams as self-hosted OpenAI-compatible servers send them (llama.cpp, Ollama, vLLM, LM Studio): chat
 * chunks with a drifting `created`, missing `id`/`model`/`object`, no role, two finish reasons, tool-call
 * deltas without `index`/`type`, keys in another order; and Anthropic streams with overlapping blocks,
 * `tool_use` starts without `input`, a sparse, mistyped, late, repeated or missing `message_start`, events
 * after `message_stop`. Pure builders, and a handler for the fakes.
 */
import type { ServerResponse } from "node:http";
import type { FakeHandler } from "./fake-openai-provider.ts";

export const OPENAI_DEVIATIONS = [
  "created_drift",
  "id_drift",
  "model_drift",
  "no_id",
  "no_model",
  "no_object",
  "no_role",
  "double_finish",
  "no_finish_field",
  "tool_no_index",
  "tool_no_type",
  "tool_no_id",
  "sorted_keys",
  "usage_no_total",
] as const;
export type OpenAiDeviation = (typeof OPENAI_DEVIATIONS)[number];

export const ANTHROPIC_DEVIATIONS = [
  "overlap",
  "late_delta",
  "tool_no_input",
  "sparse_start",
  "index_gap",
  "no_stops",
  "delta_no_usage",
  "bad_start_types",
  "no_start",
  "late_start",
  "double_start",
  "after_stop",
] as const;
export type AnthropicDeviation = (typeof ANTHROPIC_DEVIATIONS)[number];

type Json = Record<string, unknown>;

export interface ChatStreamOptions {
  readonly deviations?: readonly OpenAiDeviation[];
  /** Two tool calls instead of text. */
  readonly tools?: boolean;
  readonly model?: string;
  /** A usage-only chunk before `[DONE]`. */
  readonly usage?: boolean;
}

export const DEVIANT_TEXT = ["Hello", " from", " a", " deviant", " host"];
export const DEVIANT_CALLS = [
  { id: "call_dev_1", name: "get_weather", arguments: '{"city":"Paris"}' },
  { id: "call_dev_2", name: "get_time", arguments: '{"zone":"CET"}' },
];
const BASE_CREATED = 1_750_000_000;

/** The value with object keys sorted at every depth (how llama.cpp's JSON library writes them). */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sorted((value as Json)[key])]),
  );
}

/** The SSE events (each ending in a blank line) of one chat-completion stream with the given deviations. */
export function deviantChatStream(options: ChatStreamOptions = {}): string[] {
  const has = new Set(options.deviations ?? []);
  const model = options.model ?? "local-model";
  const deltas: Array<{ delta: Json; finish: string | null }> = [];
  deltas.push({
    delta: has.has("no_role") ? { content: "" } : { role: "assistant", content: "" },
    finish: null,
  });
  if (options.tools === true) {
    DEVIANT_CALLS.forEach((call, index) => {
      // OpenAI's own key order: index, id, type, function.
      const start: Json = {};
      if (!has.has("tool_no_index")) start.index = index;
      if (!has.has("tool_no_id")) start.id = call.id;
      if (!has.has("tool_no_type")) start.type = "function";
      start.function = { name: call.name, arguments: "" };
      deltas.push({ delta: { tool_calls: [start] }, finish: null });
      for (let at = 0; at < call.arguments.length; at += 5) {
        const fragment: Json = {};
        if (!has.has("tool_no_index")) fragment.index = index;
        fragment.function = { arguments: call.arguments.slice(at, at + 5) };
        deltas.push({ delta: { tool_calls: [fragment] }, finish: null });
      }
    });
  } else {
    for (const piece of DEVIANT_TEXT) deltas.push({ delta: { content: piece }, finish: null });
  }
  const finish = options.tools === true ? "tool_calls" : "stop";
  deltas.push({ delta: {}, finish });
  if (has.has("double_finish")) deltas.push({ delta: {}, finish: "stop" });

  const chunk = (position: number, choices: Json[], extra: Json = {}): Json => {
    const out: Json = {};
    const odd = position % 2 === 1;
    if (!has.has("no_id")) out.id = has.has("id_drift") && odd ? "chatcmpl-dev-other" : "chatcmpl-dev";
    if (!has.has("no_object")) out.object = "chat.completion.chunk";
    out.created = BASE_CREATED + (has.has("created_drift") ? position : 0);
    if (!has.has("no_model")) out.model = has.has("model_drift") && odd ? `${model}-Q4_K_M.gguf` : model;
    out.choices = choices;
    return { ...out, ...extra };
  };
  const chunks = deltas.map(({ delta, finish }, position) => {
    const choice: Json = { index: 0, delta };
    if (!has.has("no_finish_field") || finish !== null) choice.finish_reason = finish;
    return chunk(position, [choice]);
  });
  if (options.usage === true) {
    const usage: Json = { prompt_tokens: 9, completion_tokens: 7 };
    if (!has.has("usage_no_total")) usage.total_tokens = 16;
    chunks.push(chunk(deltas.length, [], { usage }));
  }
  const encode = (value: Json) =>
    `data: ${JSON.stringify(has.has("sorted_keys") ? sorted(value) : value)}\n\n`;
  return [...chunks.map(encode), "data: [DONE]\n\n"];
}

export interface MessagesStreamOptions {
  readonly deviations?: readonly AnthropicDeviation[];
  readonly model?: string;
}

export const ANTHROPIC_TEXT = ["Let me", " check", " that."];
export const ANTHROPIC_TOOL = { id: "toolu_dev_1", name: "get_weather", input: '{"city":"Paris"}' };

/** The SSE events of one Anthropic Messages stream (text, then a tool call) with the given deviations. */
export function deviantMessagesStream(options: MessagesStreamOptions = {}): string[] {
  const has = new Set(options.deviations ?? []);
  const model = options.model ?? "local-claude";
  const events: Json[] = [];
  const message: Json = { id: "msg_dev_1", type: "message", role: "assistant", model };
  if (!has.has("sparse_start")) {
    Object.assign(message, {
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 1 },
    });
  }
  if (has.has("bad_start_types")) Object.assign(message, { id: 123, role: "user", type: 7, model: null });
  const start = { type: "message_start", message };
  const startAt = has.has("no_start") ? -1 : has.has("late_start") ? 1 : 0;
  if (startAt === 0) events.push(start);
  const toolIndex = has.has("index_gap") ? 2 : 1;
  events.push({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
  if (startAt === 1) events.push(start);
  events.push({ type: "ping" });
  const lateDelta = has.has("late_delta");
  const overlap = has.has("overlap") || lateDelta;
  const textDelta = (text: string | undefined): Json => ({
    type: "content_block_delta",
    index: 0,
    delta: { type: "text_delta", text },
  });
  for (const text of ANTHROPIC_TEXT.slice(0, lateDelta ? 2 : 3)) events.push(textDelta(text));
  if (!overlap && !has.has("no_stops")) events.push({ type: "content_block_stop", index: 0 });
  const block: Json = { type: "tool_use", id: ANTHROPIC_TOOL.id, name: ANTHROPIC_TOOL.name };
  if (!has.has("tool_no_input")) block.input = {};
  events.push({ type: "content_block_start", index: toolIndex, content_block: block });
  if (lateDelta) events.push(textDelta(ANTHROPIC_TEXT[2]));
  for (let at = 0; at < ANTHROPIC_TOOL.input.length; at += 4) {
    const partial = ANTHROPIC_TOOL.input.slice(at, at + 4);
    events.push({
      type: "content_block_delta",
      index: toolIndex,
      delta: { type: "input_json_delta", partial_json: partial },
    });
  }
  if (!has.has("no_stops")) {
    events.push({ type: "content_block_stop", index: toolIndex });
    if (overlap) events.push({ type: "content_block_stop", index: 0 });
  }
  if (has.has("double_start")) events.push(start);
  const delta: Json = { type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null } };
  if (!has.has("delta_no_usage")) delta.usage = { output_tokens: 21 };
  events.push(delta);
  events.push({ type: "message_stop" });
  if (has.has("after_stop")) {
    events.push({ type: "content_block_start", index: 2, content_block: { type: "text", text: "" } });
    events.push({ ...textDelta("late"), index: 2 }, { type: "ping" }, { type: "message_stop" });
  }
  return events.map((data) => `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** Writes `events` as an SSE response, one write each. */
export async function writeSse(res: ServerResponse, events: readonly string[]): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
  for (const event of events) {
    if (res.destroyed) return;
    res.write(event);
    await new Promise((resolve) => setImmediate(resolve));
  }
  res.end();
}

/** A `respondNext` handler answering with these events. */
export const answerWith =
  (events: readonly string[]): FakeHandler =>
  (_request, res) =>
    writeSse(res, events);
