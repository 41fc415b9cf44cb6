/**
 * @module translate/openai-chunks-to-anthropic-events
 * The state machine of an OpenAI stream translated to Anthropic's event grammar: parsed chunks in, events
 * out as they arrive. `message_start` on the first chunk; one content block at a time (a tool call after
 * text closes the text block first; a call that starts while another call's block is open is held whole
 * until that block closes, since OpenAI hosts may interleave calls' fragments); `message_delta` with the
 * stop reason and usage, then `message_stop`.
 */
import { GatewayError } from "../errors/gateway-error.ts";
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
  /**
   * The most bytes of tool-call arguments held while another call's block is open; past it the stream fails
   * cleanly with `response_too_large`. Default DEFAULT_MAX_HELD_BYTES.
   */
  readonly maxHeldBytes?: number;
  /** Where held bytes are counted (the call's share of the answer memory): a refusal ends the stream with it. */
  readonly held?: { take(bytes: number): GatewayError | null; give(bytes: number): void };
}

/** The default bound on tool-call arguments held (the egress response cap's default). */
const DEFAULT_MAX_HELD_BYTES = 32 * 1024 * 1024;

/** A tool call: its block once it has one; until then (another call's block open) its arguments, held. */
interface ToolCall {
  block: number | null;
  readonly id: string;
  readonly name: string;
  readonly held: string[];
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
  /** OpenAI tool-call index → its call. */
  const tools = new Map<number, ToolCall>();
  /** Calls waiting for a block, in the order they started. */
  const waiting: ToolCall[] = [];
  const maxHeld = options.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES;
  let heldBytes = 0;
  /** Of it, the bytes counted in `options.held` (given back when the held calls are written). */
  let counted = 0;
  /** Why the stream must end (a bound, a late fragment), found while a chunk is read: the chunk ends it. */
  let broken: GatewayError | StreamFailure | null = null;
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
    // The calls that waited for this block go now, each whole, in the order they started.
    for (const call of waiting) {
      if (!room()) break; // the chunk (or the end) then fails the stream: too many items
      call.block = nextBlock++;
      const block = { type: "tool_use", id: call.id, name: call.name, input: {} };
      out.push(event("content_block_start", { index: call.block, content_block: block }));
      const partial = call.held.join("");
      call.held.length = 0;
      if (partial !== "")
        out.push(
          event("content_block_delta", {
            index: call.block,
            delta: { type: "input_json_delta", partial_json: partial },
          }),
        );
      out.push(event("content_block_stop", { index: call.block }));
    }
    waiting.length = 0;
    heldBytes = 0;
    // Written out: what they held in the call's answer-memory share is given back.
    if (counted > 0) options.held?.give(counted);
    counted = 0;
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
      const name = readString(fn.name) ?? "";
      known = { block: null, id: callId || `toolu_gateway_${tools.size}`, name, held: [] };
      tools.set(toolIndex, known);
      if (open?.kind === "tool") {
        // Another call's block is open, and its fragments may still come: this call waits for it.
        if (tools.size > MAX_STREAM_ITEMS) overflow = true;
        else waiting.push(known);
      } else {
        if (!room()) return;
        closeOpen(out);
        known.block = nextBlock++;
        open = { kind: "tool", index: known.block };
        const block = { type: "tool_use", id: known.id, name, input: {} };
        out.push(event("content_block_start", { index: known.block, content_block: block }));
      }
    }
    const fragment = readString(fn.arguments) ?? "";
    if (fragment === "") return;
    if (known.block === null) {
      known.held.push(fragment);
      const bytes = Buffer.byteLength(fragment);
      heldBytes += bytes;
      if (heldBytes > maxHeld) {
        broken ??= { reason: "too_many_items", providerType: null, providerMessage: null };
        return;
      }
      const refused = options.held?.take(bytes) ?? null;
      if (refused === null) counted += bytes;
      else broken ??= refused;
      return;
    }
    if (open?.index !== known.block) {
      // A fragment for a call whose block has closed (text came between): Anthropic cannot carry it.
      broken ??= { reason: "invalid_event", providerType: null, providerMessage: null };
      return;
    }
    const delta = { type: "input_json_delta", partial_json: fragment };
    out.push(event("content_block_delta", { index: known.block, delta }));
  };
  const reportUsage = (complete: boolean): void => {
    const counts = readOpenAiUsage(usage);
    if (counts !== null) options.onUsage?.(counts, complete);
  };
  const fail = (failure: StreamFailure | GatewayError): AnthropicStreamEvent[] => {
    if (closed) return [];
    closed = true;
    reportUsage(false);
    const body = toAnthropicErrorBody(failure instanceof GatewayError ? failure : describe(failure));
    return [{ event: "error", data: { ...body } }];
  };
  /** Ends the stream with what broke it (a bound, a late fragment, too many items) after `out`. */
  const failInto = (out: AnthropicStreamEvent[]): AnthropicStreamEvent[] => {
    const failure = broken ?? { reason: "too_many_items", providerType: null, providerMessage: null };
    for (const failed of fail(failure)) out.push(failed);
    return out;
  };
  const done = (): AnthropicStreamEvent[] => {
    if (closed) return [];
    const out: AnthropicStreamEvent[] = [];
    start(out);
    closeOpen(out);
    if (overflow) return failInto(out);
    closed = true;
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
          if (isJsonObject(call) && !overflow && broken === null) toolDelta(call, position, out);
        });
      }
      if (overflow || broken !== null) return failInto(out);
      if (!isAbsent(choice.finish_reason)) {
        finishReason = choice.finish_reason;
        finishSeen = true;
        closeOpen(out);
        if (overflow) return failInto(out);
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
