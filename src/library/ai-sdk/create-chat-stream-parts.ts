/**
 * @module library/ai-sdk/create-chat-stream-parts
 * The gateway's Chat Completions SSE bytes as AI SDK stream parts: response metadata, text deltas with
 * ids, tool-call input streaming then the whole call, an error part for an error event, and the finish
 * with usage. One failure boundary: nothing an upstream sends throws out of the stream; state is bounded.
 */
import type { LanguageModelV4StreamPart, SharedV4ProviderMetadata, SharedV4Warning } from "@ai-sdk/provider";
import { createSseParser, type SseEvent } from "../../wire/anthropic/create-sse-parser.ts";
import { readResponseMetadata } from "./chat-completion-to-result.ts";
import { type CallTarget, errorBodyToApiCallError } from "./gateway-error-to-api-call-error.ts";
import { mapOpenAiFinishReason } from "./map-openai-finish-reason.ts";
import { openAiUsageToV4 } from "./openai-usage-to-v4.ts";

export interface ChatStreamPartsOptions {
  readonly warnings: SharedV4Warning[];
  readonly target: CallTarget;
  /** Each parsed chunk also as a `raw` part (`includeRawChunks`). */
  readonly includeRaw?: boolean;
  /** The most characters one tool call's streamed input may hold (1 Mi by default). */
  readonly maxToolInputChars?: number;
  /** The most tool calls one answer may stream (128 by default). */
  readonly maxToolCalls?: number;
  /** Carried by the `finish` part (the route that served the call). */
  readonly providerMetadata?: SharedV4ProviderMetadata;
}

type Json = Readonly<Record<string, unknown>>;
type Emit = (part: LanguageModelV4StreamPart) => void;

interface ToolCallState {
  readonly id: string;
  readonly name: string;
  input: string;
}

function recordOf(value: unknown): Json | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : null;
}

export function createChatStreamParts(
  options: ChatStreamPartsOptions,
): TransformStream<Uint8Array, LanguageModelV4StreamPart> {
  const maxToolInputChars = options.maxToolInputChars ?? 1 << 20;
  const maxToolCalls = options.maxToolCalls ?? 128;
  const parser = createSseParser();
  const tools = new Map<number, ToolCallState>();
  let textId: string | null = null;
  let textCount = 0;
  let metadataSent = false;
  let finishRaw: unknown;
  let usage: unknown;
  let failed = false;

  const fail = (emit: Emit, error: unknown): void => {
    failed = true;
    emit({ type: "error", error });
  };

  const onToolDeltas = (deltas: unknown[], emit: Emit): void => {
    for (const item of deltas) {
      const delta = recordOf(item);
      if (delta === null) continue;
      const index = typeof delta.index === "number" && Number.isInteger(delta.index) ? delta.index : 0;
      const fn = recordOf(delta.function) ?? {};
      let state = tools.get(index);
      if (state === undefined) {
        if (typeof fn.name !== "string" || fn.name === "") continue; // a call starts with its name
        if (tools.size >= maxToolCalls) {
          fail(emit, new Error("The answer streamed too many tool calls."));
          return;
        }
        state = { id: typeof delta.id === "string" ? delta.id : `call-${index}`, name: fn.name, input: "" };
        tools.set(index, state);
        emit({ type: "tool-input-start", id: state.id, toolName: state.name });
      }
      if (typeof fn.arguments === "string" && fn.arguments !== "") {
        if (state.input.length + fn.arguments.length > maxToolInputChars) {
          fail(emit, new Error("A tool call's streamed input is larger than the limit."));
          return;
        }
        state.input += fn.arguments;
        emit({ type: "tool-input-delta", id: state.id, delta: fn.arguments });
      }
    }
  };

  const onChunk = (chunk: Json, emit: Emit): void => {
    if (chunk.error !== undefined) {
      fail(emit, errorBodyToApiCallError(chunk, options.target, undefined));
      return;
    }
    if (!metadataSent) {
      metadataSent = true;
      emit({ type: "response-metadata", ...readResponseMetadata(chunk) });
    }
    if (recordOf(chunk.usage) !== null) usage = chunk.usage;
    const choice = recordOf(Array.isArray(chunk.choices) ? chunk.choices[0] : undefined);
    if (choice === null) return;
    const delta = recordOf(choice.delta);
    if (delta !== null && typeof delta.content === "string" && delta.content !== "") {
      if (textId === null) {
        textId = `text-${textCount++}`;
        emit({ type: "text-start", id: textId });
      }
      emit({ type: "text-delta", id: textId, delta: delta.content });
    }
    if (delta !== null && Array.isArray(delta.tool_calls)) onToolDeltas(delta.tool_calls, emit);
    if (typeof choice.finish_reason === "string") finishRaw = choice.finish_reason;
  };

  const onEvents = (events: readonly SseEvent[], emit: Emit): void => {
    for (const event of events) {
      if (failed) return;
      if (event.problem !== undefined) {
        fail(emit, new Error(`The model's stream broke off (${event.problem}).`));
        return;
      }
      if (event.data === "[DONE]") continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(event.data);
      } catch {
        fail(emit, new Error("The model's stream carried an unreadable event."));
        return;
      }
      if (options.includeRaw) emit({ type: "raw", rawValue: parsed });
      const chunk = recordOf(parsed);
      if (chunk !== null) onChunk(chunk, emit);
    }
  };

  return new TransformStream<Uint8Array, LanguageModelV4StreamPart>({
    start(controller) {
      controller.enqueue({ type: "stream-start", warnings: options.warnings });
    },
    transform(bytes, controller) {
      if (failed) return;
      const emit: Emit = (part) => controller.enqueue(part);
      try {
        onEvents(parser.push(bytes), emit);
      } catch (error) {
        fail(emit, error);
      }
    },
    flush(controller) {
      const emit: Emit = (part) => controller.enqueue(part);
      try {
        if (!failed) onEvents(parser.end(), emit);
      } catch (error) {
        fail(emit, error);
      }
      if (textId !== null) emit({ type: "text-end", id: textId });
      for (const state of tools.values()) {
        emit({ type: "tool-input-end", id: state.id });
        if (!failed) {
          emit({ type: "tool-call", toolCallId: state.id, toolName: state.name, input: state.input || "{}" });
        }
      }
      const finishReason = failed
        ? { unified: "error" as const, raw: undefined }
        : finishRaw === undefined
          ? { unified: "interrupted" as const, raw: undefined }
          : mapOpenAiFinishReason(finishRaw);
      emit({
        type: "finish",
        finishReason,
        usage: openAiUsageToV4(usage),
        ...(options.providerMetadata === undefined ? {} : { providerMetadata: options.providerMetadata }),
      });
    },
  });
}
