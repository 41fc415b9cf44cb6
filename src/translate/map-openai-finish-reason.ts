/**
 * @module translate/map-openai-finish-reason
 * OpenAI's `finish_reason` → Anthropic's `stop_reason` (total: unknown or missing reasons read as `end_turn`).
 */
import type { AnthropicStopReason } from "../wire/anthropic/anthropic-types.ts";

/**
 * `tool_calls` and the deprecated `function_call` → `tool_use`; `length` → `max_tokens`; `content_filter`
 * → `refusal`; `stop` → `end_turn` (OpenAI does not say whether a stop sequence matched, so
 * `stop_sequence` is never reported).
 */
export function mapOpenAiFinishReason(finishReason: unknown): AnthropicStopReason {
  switch (finishReason) {
    case "tool_calls":
    case "function_call":
      return "tool_use";
    case "length":
      return "max_tokens";
    case "content_filter":
      return "refusal";
    default:
      return "end_turn";
  }
}
