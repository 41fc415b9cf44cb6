/**
 * @module library/ai-sdk/chat-completion-to-result
 * A Chat Completions answer (the gateway's JSON, read leniently) as the AI SDK's content, finish reason,
 * usage and response metadata.
 */
import type {
  LanguageModelV4Content,
  LanguageModelV4FinishReason,
  LanguageModelV4ResponseMetadata,
  LanguageModelV4Usage,
} from "@ai-sdk/provider";
import { mapOpenAiFinishReason } from "./map-openai-finish-reason.ts";
import { openAiUsageToV4 } from "./openai-usage-to-v4.ts";

export interface ChatResult {
  readonly content: LanguageModelV4Content[];
  readonly finishReason: LanguageModelV4FinishReason;
  readonly usage: LanguageModelV4Usage;
  readonly metadata: LanguageModelV4ResponseMetadata;
}

type Json = Readonly<Record<string, unknown>>;

function recordOf(value: unknown): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

/** The id, model and creation time a chunk or answer names (each only when well typed). */
export function readResponseMetadata(answer: Json): LanguageModelV4ResponseMetadata {
  const metadata: LanguageModelV4ResponseMetadata = {};
  if (typeof answer.id === "string") metadata.id = answer.id;
  if (typeof answer.model === "string") metadata.modelId = answer.model;
  if (typeof answer.created === "number" && Number.isFinite(answer.created)) {
    metadata.timestamp = new Date(answer.created * 1000);
  }
  return metadata;
}

export function chatCompletionToResult(parsed: unknown, newId: () => string): ChatResult {
  const answer = recordOf(parsed);
  const choice = recordOf(Array.isArray(answer.choices) ? answer.choices[0] : undefined);
  const message = recordOf(choice.message);
  const content: LanguageModelV4Content[] = [];
  if (typeof message.content === "string" && message.content !== "") {
    content.push({ type: "text", text: message.content });
  }
  for (const item of Array.isArray(message.tool_calls) ? message.tool_calls : []) {
    const call = recordOf(item);
    const fn = recordOf(call.function);
    if (typeof fn.name !== "string") continue;
    content.push({
      type: "tool-call",
      toolCallId: typeof call.id === "string" ? call.id : newId(),
      toolName: fn.name,
      input: typeof fn.arguments === "string" && fn.arguments !== "" ? fn.arguments : "{}",
    });
  }
  return {
    content,
    finishReason: mapOpenAiFinishReason(choice.finish_reason),
    usage: openAiUsageToV4(answer.usage),
    metadata: readResponseMetadata(answer),
  };
}
