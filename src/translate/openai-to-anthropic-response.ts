/**
 * @module translate/openai-to-anthropic-response
 * An OpenAI `chat.completion` → an Anthropic message: content (and a refusal) as text blocks, tool calls as
 * tool_use blocks (arguments parsed; unparseable arguments are the provider's fault: an error, not a guess),
 * `stop_reason` mapped, usage split into uncached input, cache reads and cache writes. Reasoning is dropped.
 */
import type { AnthropicMessage, AnthropicResponseBlock } from "../wire/anthropic/anthropic-types.ts";
import { isJsonObject, type JsonObject, readString } from "./json-object.ts";
import { mapOpenAiFinishReason } from "./map-openai-finish-reason.ts";
import { openAiUsageToAnthropic } from "./openai-usage-to-anthropic.ts";
import { fail, runTranslation, type Translation } from "./translation-result.ts";

export interface OpenAiToAnthropicResponseOptions {
  /** The model to report when the completion names none. */
  readonly model?: string;
}

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  // Some compatible hosts answer content parts; their text is kept.
  return content.map((part: unknown) => (isJsonObject(part) ? (readString(part.text) ?? "") : "")).join("");
}

function toolUse(call: unknown, index: number): AnthropicResponseBlock {
  const fields = isJsonObject(call) ? call : {};
  const fn = isJsonObject(fields.function) ? fields.function : {};
  const name = readString(fn.name);
  if (name === null) fail("invalid_upstream_response", "A tool call in the provider's answer has no name.");
  const text = readString(fn.arguments) ?? "";
  let input: unknown = {};
  if (text.trim() !== "") {
    try {
      input = JSON.parse(text);
    } catch {
      fail("invalid_upstream_response", `The provider's arguments for tool ${name} are not valid JSON.`);
    }
  }
  if (!isJsonObject(input))
    fail("invalid_upstream_response", `The provider's arguments for tool ${name} are no object.`);
  return { type: "tool_use", id: readString(fields.id) ?? `toolu_gateway_${index}`, name, input };
}

function translate(completion: unknown, options: OpenAiToAnthropicResponseOptions): AnthropicMessage {
  if (!isJsonObject(completion) || !Array.isArray(completion.choices)) {
    fail("invalid_upstream_response", "The provider's answer is not a chat completion.");
  }
  const choice: JsonObject = isJsonObject(completion.choices[0]) ? completion.choices[0] : {};
  const message: JsonObject = isJsonObject(choice.message) ? choice.message : {};
  const content: AnthropicResponseBlock[] = [];
  const text = contentText(message.content);
  if (text !== "") content.push({ type: "text", text });
  const refusal = readString(message.refusal);
  if (refusal !== null && refusal !== "") content.push({ type: "text", text: refusal });
  const calls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  // A loop, not `push(...)`: the upstream decides how many calls there are.
  calls.forEach((call: unknown, index) => {
    content.push(toolUse(call, index));
  });
  const stopReason =
    refusal !== null && refusal !== "" ? "refusal" : mapOpenAiFinishReason(choice.finish_reason);
  return {
    id: readString(completion.id) ?? `msg_gateway_${Date.now().toString(36)}`,
    type: "message",
    role: "assistant",
    model: readString(completion.model) ?? options.model ?? "unknown",
    content,
    stop_reason: calls.length > 0 && stopReason === "end_turn" ? "tool_use" : stopReason,
    stop_sequence: null,
    usage: openAiUsageToAnthropic(completion.usage),
  };
}

export function openAiToAnthropicResponse(
  completion: unknown,
  options: OpenAiToAnthropicResponseOptions = {},
): Translation<AnthropicMessage> {
  return runTranslation(() => translate(completion, options));
}
