/**
 * @module translate/openai-chunks-to-anthropic-events
 * The state machine of an OpenAI stream translated to Anthropic's event grammar: parsed chunks in, events
 * out as they arrive. `message_start` on the first chunk; one content block at a time (a tool call after
 * text closes the text block first); `message_delta` with the stop reason and usage, then `message_stop`.
 */
import type { GatewayError } from "../errors/gateway-error.ts";
import { toAnthropicErrorBody } from "../wire/anthropic/anthropic-error-body.ts";
import type { AnthropicStreamEvent } from "../wire/anthropic/anthropic-types.ts";
import { readOpenAiUsage, type TokenUsage } from "../wire/openai/openai-usage.ts";
import { isAbsent, isJsonObject, type JsonObject, readString } from "./json-object.ts";
import { mapOpenAiFinishReason } from "./map-openai-finish-reason.ts";
import { openAiUsageToAnthropic } from "./openai-usage-to-anthropic.ts";
import { describeStreamFailure, MAX_STREAM_ITEMS, type StreamFailure } from "./stream-failure.ts";

export interface OpenAiToAnthropicStreamOptions {
  /** The model to report when the chunks name none. */
  readonly model?: string;
  /** Called once when the stream ends with the usage seen (`complete` false when it failed or was cut). */
  readonly onUsage?: (usage: TokenUsage, complete: boolean) => void;
  readonly describeFailure?: (failure: StreamFailure) => GatewayError;
}

export interface OpenAiChunkTranslator {
  chunk(data: unknown): AnthropicStreamEvent[];
  /** `data: [DONE]`. */
  done(): AnthropicStreamEvent[];
  fail(failure: StreamFailure): AnthropicStreamEvent[];
  end(): AnthropicStreamEvent[];
}

const event = (type: string, fields: JsonObject = {}): AnthropicStreamEvent => ({
  event: type,
  data: { type, ...fields },
});

export function createOpenAiChunkTranslator(options: OpenAiToAnthropicStreamOptions): OpenAiChunkTranslator {
  const describe = options.describeFailure ?? describeStreamFailure;
  let id = `msg_gateway_${Date.now().toString(36)}`;
  let model = options.model ?? "unknown";
  let started = false;
  let closed = false;
  let nextBlock = 0;
  let open: { readonly kind: "text" | "tool"; readonly index: number } | null = null;
  /** OpenAI tool-call index → its Anthropic block and call id. */
  const tools = new Map<number, { readonly block: number; readonly id: string }>();
  let finishReason: unknown = null;
  let finishSeen = false;
  let refusalSeen = false;
  let usage: unknown = null;
  /** A block past MAX_STREAM_ITEMS was asked for (none is opened): the chunk ends the stream. */
  let overflow = false;
  const room = (): boolean => {
    if (nextBlock < MAX_STREAM_ITEMS) return true;
    overflow = true;
    return false;
  };

  const start = (out: AnthropicStreamEvent[]): void => {
    if (started) return;
    started = true;
    const zero = {
      input_tokens: 0,
      output_tokens: 0,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    };
    const message = {
      id,
      type: "message",
      role: "assistant",
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: zero,
    };
    out.push(event("message_start", { message }));
  };
  const closeOpen = (out: AnthropicStreamEvent[]): void => {
    if (open === null) return;
    out.push(event("content_block_stop", { index: open.index }));
    open = null;
  };
  const text = (value: string, out: AnthropicStreamEvent[]): void => {
    if (open?.kind !== "text") {
      if (!room()) return;
      closeOpen(out);
      open = { kind: "text", index: nextBlock++ };
      out.push(
        event("content_block_start", { index: open.index, content_block: { type: "text", text: "" } }),
      );
    }
    out.push(event("content_block_delta", { index: open.index, delta: { type: "text_delta", text: value } }));
  };
  let lastTool = 0;
  /** A delta without an index: the call with its id, a new call when it names a new id or a function, else the last. */
  const inferToolIndex = (callId: string | null, fn: JsonObject, position: number): number => {
    for (const [index, known] of tools) if (callId !== null && known.id === callId) return index;
    if ((callId !== null && callId !== "") || (readString(fn.name) ?? "") !== "") return tools.size;
    return tools.size === 0 ? position : lastTool;
  };
  const toolDelta = (call: JsonObject, position: number, out: AnthropicStreamEvent[]): void => {
    const fn = isJsonObject(call.function) ? call.function : {};
    const callId = readString(call.id);
    const toolIndex = typeof call.index === "number" ? call.index : inferToolIndex(callId, fn, position);
    lastTool = toolIndex;
    let known = tools.get(toolIndex);
    // A new id at a known index is a new call (some hosts number every call 0).
    if (known === undefined || (callId !== null && callId !== "" && callId !== known.id)) {
      if (!room()) return;
      closeOpen(out);
      known = { block: nextBlock++, id: callId || `toolu_gateway_${tools.size}` };
      tools.set(toolIndex, known);
      open = { kind: "tool", index: known.block };
      const block = { type: "tool_use", id: known.id, name: readString(fn.name) ?? "", input: {} };
      out.push(event("content_block_start", { index: known.block, content_block: block }));
    }
    // Deltas for an earlier (closed) call are sent at its own index, where SDKs accumulate by index.
    const fragment = readString(fn.arguments) ?? "";
    if (fragment !== "") {
      const delta = { type: "input_json_delta", partial_json: fragment };
      out.push(event("content_block_delta", { index: known.block, delta }));
    }
  };
  const reportUsage = (complete: boolean): void => {
    const counts = readOpenAiUsage(usage);
    if (counts !== null) options.onUsage?.(counts, complete);
  };
  const fail = (failure: StreamFailure): AnthropicStreamEvent[] => {
    if (closed) return [];
    closed = true;
    reportUsage(false);
    const body = toAnthropicErrorBody(describe(failure));
    return [{ event: "error", data: { ...body } }];
  };
  const done = (): AnthropicStreamEvent[] => {
    if (closed) return [];
    closed = true;
    const out: AnthropicStreamEvent[] = [];
    start(out);
    closeOpen(out);
    const mapped = refusalSeen ? "refusal" : mapOpenAiFinishReason(finishReason);
    const stopReason = mapped === "end_turn" && tools.size > 0 ? "tool_use" : mapped;
    out.push(
      event("message_delta", {
        delta: { stop_reason: stopReason, stop_sequence: null },
        usage: openAiUsageToAnthropic(usage),
      }),
    );
    out.push(event("message_stop"));
    reportUsage(true);
    return out;
  };

  return {
    chunk(data) {
      if (closed) return [];
      if (!isJsonObject(data))
        return fail({ reason: "invalid_event", providerType: null, providerMessage: null });
      if (!isAbsent(data.error)) {
        const error = isJsonObject(data.error) ? data.error : {};
        return fail({
          reason: "provider_error",
          providerType: readString(error.type) ?? readString(error.code),
          providerMessage: readString(error.message),
        });
      }
      const out: AnthropicStreamEvent[] = [];
      if (!started) {
        id = readString(data.id) ?? id;
        model = readString(data.model) ?? model;
      }
      start(out);
      if (isJsonObject(data.usage)) usage = data.usage;
      const choice = Array.isArray(data.choices)
        ? data.choices.find((item) => isJsonObject(item) && (item.index ?? 0) === 0)
        : undefined;
      if (!isJsonObject(choice)) return out;
      const delta = isJsonObject(choice.delta) ? choice.delta : {};
      const content = readString(delta.content);
      if (content !== null && content !== "") text(content, out);
      const refusal = readString(delta.refusal);
      if (refusal !== null && refusal !== "") {
        refusalSeen = true;
        text(refusal, out);
      }
      // reasoning_content / reasoning have no signature to carry them as Anthropic thinking: dropped.
      if (Array.isArray(delta.tool_calls)) {
        delta.tool_calls.forEach((call: unknown, position) => {
          if (isJsonObject(call) && !overflow) toolDelta(call, position, out);
        });
      }
      if (overflow) {
        for (const failed of fail({ reason: "too_many_items", providerType: null, providerMessage: null }))
          out.push(failed);
        return out;
      }
      if (!isAbsent(choice.finish_reason)) {
        finishReason = choice.finish_reason;
        finishSeen = true;
        closeOpen(out);
      }
      return out;
    },
    done,
    fail,
    end() {
      if (closed) return [];
      // Hosts that omit `[DONE]` still sent a finish_reason: the answer is whole.
      if (finishSeen) return done();
      return fail({ reason: "truncated", providerType: null, providerMessage: null });
    },
  };
}
