/**
 * @module translate/anthropic-events-to-openai-chunks
 * The state machine of an Anthropic stream translated to OpenAI: parsed events in, chunk objects out as
 * they arrive. Role on the first chunk; each tool call opened once (index, id, type, name) then argument
 * fragments at the same index, tool indices counted among tool_use blocks; finish_reason on the last
 * choice chunk; the usage chunk when asked; an error event becomes OpenAI's `{error}` payload.
 */
import type { GatewayError } from "../errors/gateway-error.ts";
import {
  type AnthropicUsageCounts,
  readAnthropicUsage,
  ZERO_ANTHROPIC_USAGE,
} from "../wire/anthropic/anthropic-usage.ts";
import { type OpenAiErrorBody, toOpenAiErrorBody } from "../wire/openai/openai-error-body.ts";
import type { TokenUsage } from "../wire/openai/openai-usage.ts";
import { anthropicUsageToOpenAi, anthropicUsageToTokenUsage } from "./anthropic-usage-to-openai.ts";
import { isJsonObject, type JsonObject, readString } from "./json-object.ts";
import { mapAnthropicStopReason } from "./map-anthropic-stop-reason.ts";
import type { OpenAiChatCompletionChunk, OpenAiChunkDelta, OpenAiFinishReason } from "./openai-chat-types.ts";
import { describeStreamFailure, MAX_STREAM_ITEMS, type StreamFailure } from "./stream-failure.ts";

export type OpenAiStreamItem =
  | { readonly kind: "chunk"; readonly chunk: OpenAiChatCompletionChunk }
  | { readonly kind: "error"; readonly body: OpenAiErrorBody }
  | { readonly kind: "done" };

export interface AnthropicToOpenAiStreamOptions {
  /** The client asked for `stream_options.include_usage`: `usage: null` on chunks, then a usage chunk. */
  readonly includeUsage: boolean;
  /** From the request translation: this forced tool's input streams as content. */
  readonly jsonToolName?: string | null;
  /** Unix seconds for `created`; now by default. */
  readonly created?: number;
  /** The model to report until `message_start` names one. */
  readonly model?: string;
  /** Called once when the stream ends with the usage seen (`complete` false when it failed or was cut). */
  readonly onUsage?: (usage: TokenUsage, complete: boolean) => void;
  readonly describeFailure?: (failure: StreamFailure) => GatewayError;
}

export interface AnthropicEventTranslator {
  /** One parsed event; `name` is the SSE `event:` field, used when the data carries no `type`. */
  event(name: string, data: unknown): OpenAiStreamItem[];
  fail(failure: StreamFailure): OpenAiStreamItem[];
  /** The upstream ended. */
  end(): OpenAiStreamItem[];
}

type Block =
  | { readonly kind: "text" | "reasoning" | "ignored" }
  | { readonly kind: "tool"; readonly index: number; sent: number; readonly startInput: string | null }
  | { readonly kind: "json"; sent: number };

const startInputOf = (input: unknown): string | null =>
  isJsonObject(input) && Object.keys(input).length > 0 ? JSON.stringify(input) : null;

export function createAnthropicEventTranslator(
  options: AnthropicToOpenAiStreamOptions,
): AnthropicEventTranslator {
  const jsonToolName = options.jsonToolName ?? null;
  const describe = options.describeFailure ?? describeStreamFailure;
  const created = options.created ?? Math.floor(Date.now() / 1000);
  let id = `msg_gateway_${created.toString(36)}`;
  let model = options.model ?? "unknown";
  let started = false;
  let closed = false;
  let usage: AnthropicUsageCounts = ZERO_ANTHROPIC_USAGE;
  let usageSeen = false;
  let stopReason: unknown = null;
  let stopSeen = false;
  let toolCount = 0;
  /** `content_block_start` events seen (an index reused counts again: each opens a block downstream). */
  let blockCount = 0;
  const blocks = new Map<number, Block>();

  const chunk = (
    delta: OpenAiChunkDelta,
    finishReason: OpenAiFinishReason | null = null,
  ): OpenAiStreamItem => ({
    kind: "chunk",
    chunk: {
      id,
      object: "chat.completion.chunk",
      created,
      model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(options.includeUsage ? { usage: null } : {}),
    },
  });
  const start = (out: OpenAiStreamItem[]): void => {
    if (started) return;
    started = true;
    out.push(chunk({ role: "assistant", content: "" }));
  };
  const reportUsage = (complete: boolean): void => {
    if (usageSeen) options.onUsage?.(anthropicUsageToTokenUsage(usage), complete);
  };
  const readUsage = (value: unknown): void => {
    const counts = readAnthropicUsage(value, usage);
    if (counts === null) return;
    usage = counts;
    usageSeen = true;
  };

  const finish = (): OpenAiStreamItem[] => {
    const out: OpenAiStreamItem[] = [];
    start(out);
    closed = true;
    out.push(chunk({}, mapAnthropicStopReason(stopReason, jsonToolName !== null)));
    if (options.includeUsage) {
      out.push({
        kind: "chunk",
        chunk: {
          id,
          object: "chat.completion.chunk",
          created,
          model,
          choices: [],
          usage: anthropicUsageToOpenAi(usage),
        },
      });
    }
    out.push({ kind: "done" });
    reportUsage(true);
    return out;
  };
  const failWith = (failure: StreamFailure): OpenAiStreamItem[] => {
    if (closed) return [];
    closed = true;
    reportUsage(false);
    return [{ kind: "error", body: toOpenAiErrorBody(describe(failure)) }];
  };

  const blockStart = (index: number, block: JsonObject, out: OpenAiStreamItem[]): void => {
    if (block.type === "text") {
      blocks.set(index, { kind: "text" });
      const text = readString(block.text) ?? "";
      if (text !== "") out.push(chunk({ content: text }));
    } else if (block.type === "thinking") {
      blocks.set(index, { kind: "reasoning" });
      const text = readString(block.thinking) ?? "";
      if (text !== "") out.push(chunk({ reasoning_content: text }));
    } else if (block.type === "tool_use" && jsonToolName !== null && block.name === jsonToolName) {
      blocks.set(index, { kind: "json", sent: 0 });
    } else if (block.type === "tool_use") {
      const toolIndex = toolCount++;
      blocks.set(index, { kind: "tool", index: toolIndex, sent: 0, startInput: startInputOf(block.input) });
      const name = readString(block.name) ?? "";
      const callId = readString(block.id) ?? `toolu_gateway_${toolIndex}`;
      out.push(
        chunk({
          tool_calls: [{ index: toolIndex, id: callId, type: "function", function: { name, arguments: "" } }],
        }),
      );
    } else {
      blocks.set(index, { kind: "ignored" }); // redacted thinking, server tools, future block types
    }
  };

  const blockDelta = (block: Block | undefined, delta: JsonObject, out: OpenAiStreamItem[]): void => {
    if (block === undefined) return;
    if (delta.type === "text_delta" && block.kind === "text") {
      const text = readString(delta.text) ?? "";
      if (text !== "") out.push(chunk({ content: text }));
    } else if (delta.type === "thinking_delta" && block.kind === "reasoning") {
      const text = readString(delta.thinking) ?? "";
      if (text !== "") out.push(chunk({ reasoning_content: text }));
    } else if (delta.type === "input_json_delta" && (block.kind === "tool" || block.kind === "json")) {
      const fragment = readString(delta.partial_json) ?? "";
      if (fragment === "") return;
      block.sent += fragment.length;
      if (block.kind === "json") out.push(chunk({ content: fragment }));
      else out.push(chunk({ tool_calls: [{ index: block.index, function: { arguments: fragment } }] }));
    }
    // signature_delta, citations_delta and unknown deltas have no OpenAI form.
  };

  const blockStop = (block: Block | undefined, out: OpenAiStreamItem[]): void => {
    // A tool called without arguments streams none; OpenAI clients expect a parseable "{}".
    if (block?.kind === "tool" && block.sent === 0) {
      out.push(
        chunk({ tool_calls: [{ index: block.index, function: { arguments: block.startInput ?? "{}" } }] }),
      );
      block.sent = 1;
    } else if (block?.kind === "json" && block.sent === 0) {
      out.push(chunk({ content: "{}" }));
      block.sent = 1;
    }
  };

  return {
    event(name, data) {
      if (closed) return [];
      if (!isJsonObject(data))
        return failWith({ reason: "invalid_event", providerType: null, providerMessage: null });
      const type = readString(data.type) ?? name;
      const out: OpenAiStreamItem[] = [];
      const index = typeof data.index === "number" ? data.index : -1;
      switch (type) {
        case "message_start": {
          const message = isJsonObject(data.message) ? data.message : {};
          if (!started) {
            id = readString(message.id) ?? id;
            model = readString(message.model) ?? model;
          }
          readUsage(message.usage);
          start(out);
          return out;
        }
        case "content_block_start":
          // Each block holds a little state: past the cap the answer fails instead of growing it.
          if (++blockCount > MAX_STREAM_ITEMS)
            return failWith({ reason: "too_many_items", providerType: null, providerMessage: null });
          start(out);
          if (isJsonObject(data.content_block)) blockStart(index, data.content_block, out);
          return out;
        case "content_block_delta":
          start(out);
          if (isJsonObject(data.delta)) blockDelta(blocks.get(index), data.delta, out);
          return out;
        case "content_block_stop":
          blockStop(blocks.get(index), out);
          return out;
        case "message_delta":
          if (isJsonObject(data.delta) && data.delta.stop_reason !== undefined) {
            stopReason = data.delta.stop_reason;
            stopSeen = true;
          }
          readUsage(data.usage);
          return out;
        case "message_stop":
          return finish();
        case "error": {
          const error = isJsonObject(data.error) ? data.error : {};
          return failWith({
            reason: "provider_error",
            providerType: readString(error.type),
            providerMessage: readString(error.message),
          });
        }
        default:
          return out; // ping, and event types Anthropic may add later
      }
    },
    fail: failWith,
    end() {
      if (closed) return [];
      // Everything but `message_stop` arrived: the answer is whole.
      if (stopSeen) return finish();
      return failWith({ reason: "truncated", providerType: null, providerMessage: null });
    },
  };
}
