/**
 * @module translate/map-anthropic-stop-reason
 * Anthropic's `stop_reason` → OpenAI's `finish_reason` (total: unknown or missing reasons read as `stop`).
 */
import type { OpenAiFinishReason } from "./openai-chat-types.ts";

/**
 * `tool_use` → `tool_calls`; `max_tokens` and `model_context_window_exceeded` → `length`; `refusal` →
 * `content_filter`; `end_turn`, `stop_sequence`, `pause_turn` (a server tool paused the turn) → `stop`.
 * `jsonMode`: the forced `response_format` tool was the answer, so `tool_use` is a plain `stop`.
 */
export function mapAnthropicStopReason(stopReason: unknown, jsonMode = false): OpenAiFinishReason {
  switch (stopReason) {
    case "tool_use":
      return jsonMode ? "stop" : "tool_calls";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "refusal":
      return "content_filter";
    default:
      return "stop";
  }
}
