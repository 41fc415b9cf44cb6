/**
 * @module library/ai-sdk/map-openai-finish-reason
 * OpenAI's `finish_reason` as the AI SDK's unified finish reason, the raw value kept.
 */
import type { LanguageModelV4FinishReason } from "@ai-sdk/provider";

export function mapOpenAiFinishReason(raw: unknown): LanguageModelV4FinishReason {
  const value = typeof raw === "string" ? raw.slice(0, 100) : undefined;
  switch (value) {
    case "stop":
      return { unified: "stop", raw: value };
    case "length":
      return { unified: "length", raw: value };
    case "content_filter":
      return { unified: "content-filter", raw: value };
    case "tool_calls":
    case "function_call":
      return { unified: "tool-calls", raw: value };
    default:
      return { unified: "other", raw: value };
  }
}
