/**
 * @module translate/anthropic-to-openai-response
 * A whole Anthropic message → an OpenAI `chat.completion`: text joined into `content`, tool_use blocks as
 * `tool_calls` (arguments as a JSON string), thinking text as `reasoning_content` (redacted thinking and
 * signatures dropped), `finish_reason` mapped, usage with the cache reads and writes counted as prompt tokens.
 */
import { readAnthropicUsage, ZERO_ANTHROPIC_USAGE } from "../wire/anthropic/anthropic-usage.ts";
import { anthropicUsageToOpenAi } from "./anthropic-usage-to-openai.ts";
import { isJsonObject, readString } from "./json-object.ts";
import { mapAnthropicStopReason } from "./map-anthropic-stop-reason.ts";
import type { OpenAiChatCompletion, OpenAiToolCall } from "./openai-chat-types.ts";
import { fail, runTranslation, type Translation } from "./translation-result.ts";

export interface AnthropicToOpenAiResponseOptions {
  /** From the request translation: this forced tool's input is the answer's text. */
  readonly jsonToolName?: string | null;
  /** Unix seconds for `created` (Anthropic does not report one); now by default. */
  readonly created?: number;
  /** The model to report when the message names none. */
  readonly model?: string;
}

function translate(message: unknown, options: AnthropicToOpenAiResponseOptions): OpenAiChatCompletion {
  if (!isJsonObject(message) || !Array.isArray(message.content)) {
    fail("invalid_upstream_response", "The provider's answer is not an Anthropic message.");
  }
  const jsonToolName = options.jsonToolName ?? null;
  const texts: string[] = [];
  const reasoning: string[] = [];
  const toolCalls: OpenAiToolCall[] = [];
  for (const block of message.content) {
    if (!isJsonObject(block)) continue;
    if (block.type === "text") {
      texts.push(readString(block.text) ?? "");
    } else if (block.type === "thinking") {
      reasoning.push(readString(block.thinking) ?? "");
    } else if (block.type === "tool_use") {
      const input = JSON.stringify(block.input ?? {});
      if (jsonToolName !== null && block.name === jsonToolName) {
        texts.push(input);
        continue;
      }
      const id = readString(block.id);
      const name = readString(block.name);
      if (id === null || name === null)
        fail("invalid_upstream_response", "A tool_use block lacks its id or name.");
      toolCalls.push({ id, type: "function", function: { name, arguments: input } });
    }
    // redacted_thinking, server tool blocks and unknown future blocks have no OpenAI form: dropped.
  }
  const content = texts.join("");
  const reasoningContent = reasoning.join("");
  const usage = readAnthropicUsage(message.usage) ?? ZERO_ANTHROPIC_USAGE;
  return {
    id: readString(message.id) ?? `msg_${Date.now().toString(36)}`,
    object: "chat.completion",
    created: options.created ?? Math.floor(Date.now() / 1000),
    model: readString(message.model) ?? options.model ?? "unknown",
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: toolCalls.length > 0 && content === "" ? null : content,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          ...(reasoningContent === "" ? {} : { reasoning_content: reasoningContent }),
        },
        logprobs: null,
        finish_reason: mapAnthropicStopReason(message.stop_reason, jsonToolName !== null),
      },
    ],
    usage: anthropicUsageToOpenAi(usage),
  };
}

export function anthropicToOpenAiResponse(
  message: unknown,
  options: AnthropicToOpenAiResponseOptions = {},
): Translation<OpenAiChatCompletion> {
  return runTranslation(() => translate(message, options));
}
