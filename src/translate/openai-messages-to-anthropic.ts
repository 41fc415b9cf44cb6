/**
 * @module translate/openai-messages-to-anthropic
 * OpenAI `messages` → Anthropic `system` + alternating `messages`: system and developer messages join the
 * system prompt (in order, wherever they stand); consecutive same-role turns merge; tool messages become
 * `tool_result` blocks of a user turn and must answer a tool call an earlier assistant message made.
 */
import type {
  AnthropicMessageParam,
  AnthropicRequestBlock,
  AnthropicTextBlock,
  AnthropicToolResultBlock,
  AnthropicToolUseBlock,
} from "../wire/anthropic/anthropic-types.ts";
import { isAbsent, isJsonObject, type JsonObject, readString } from "./json-object.ts";
import { textContentToAnthropic, userContentToAnthropic } from "./openai-content-to-anthropic.ts";
import { fail } from "./translation-result.ts";

export interface AnthropicConversation {
  readonly system: AnthropicTextBlock[];
  readonly messages: AnthropicMessageParam[];
}

/** Tool arguments as Anthropic wants them: a JSON object (an empty string reads as `{}`). */
function parseArguments(value: unknown, param: string): Record<string, unknown> {
  if (isJsonObject(value)) return value;
  const text = readString(value);
  if (text === null) fail("invalid_value", "Tool call arguments must be a JSON string.", param);
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    fail("invalid_value", "Tool call arguments are not valid JSON.", param);
  }
  if (!isJsonObject(parsed)) fail("invalid_value", "Tool call arguments must be a JSON object.", param);
  return parsed;
}

function toolUseBlocks(message: JsonObject, param: string, knownIds: Set<string>): AnthropicToolUseBlock[] {
  if (isAbsent(message.tool_calls)) return [];
  if (!Array.isArray(message.tool_calls)) fail("invalid_value", "`tool_calls` must be a list.", param);
  return message.tool_calls.map((call: unknown, index) => {
    const callParam = `${param}.tool_calls[${index}]`;
    if (!isJsonObject(call)) fail("invalid_value", "A tool call must be an object.", callParam);
    if (call.type !== undefined && call.type !== "function") {
      fail("unsupported_parameter", `Tool calls of type ${String(call.type)} are not supported.`, callParam);
    }
    const id = readString(call.id);
    if (id === null || id === "") fail("invalid_value", "A tool call needs an `id`.", `${callParam}.id`);
    const fn = isJsonObject(call.function) ? call.function : {};
    const name = readString(fn.name);
    if (name === null || name === "") {
      fail("invalid_value", "A tool call needs `function.name`.", `${callParam}.function.name`);
    }
    knownIds.add(id);
    return {
      type: "tool_use",
      id,
      name,
      input: parseArguments(fn.arguments, `${callParam}.function.arguments`),
    };
  });
}

function toolResultBlock(
  message: JsonObject,
  param: string,
  knownIds: Set<string>,
): AnthropicToolResultBlock {
  const id = readString(message.tool_call_id);
  if (id === null || id === "") {
    fail("invalid_value", "A tool message needs `tool_call_id`.", `${param}.tool_call_id`);
  }
  if (!knownIds.has(id)) {
    fail(
      "unknown_tool_call",
      `tool_call_id ${JSON.stringify(id)} answers no tool call of an earlier assistant message.`,
      `${param}.tool_call_id`,
    );
  }
  const content =
    typeof message.content === "string"
      ? message.content
      : textContentToAnthropic(message.content, `${param}.content`);
  // `is_error` is no OpenAI field; clients that send it (as Anthropic spells it) keep the flag.
  return {
    type: "tool_result",
    tool_use_id: id,
    content,
    ...(message.is_error === true ? { is_error: true } : {}),
  };
}

export function openAiMessagesToAnthropic(messages: unknown): AnthropicConversation {
  if (!Array.isArray(messages) || messages.length === 0) {
    fail("invalid_value", "`messages` must be a non-empty list.", "messages");
  }
  const system: AnthropicTextBlock[] = [];
  const turns: { role: "user" | "assistant"; content: AnthropicRequestBlock[] }[] = [];
  const knownIds = new Set<string>();
  const append = (role: "user" | "assistant", blocks: readonly AnthropicRequestBlock[]): void => {
    if (blocks.length === 0) return; // an empty turn carries nothing (Anthropic refuses empty content)
    const last = turns.at(-1);
    // Loops, never `push(...)`: a client decides how many blocks a turn has.
    if (last !== undefined && last.role === role) for (const block of blocks) last.content.push(block);
    else turns.push({ role, content: [...blocks] });
  };

  messages.forEach((message: unknown, index) => {
    const param = `messages[${index}]`;
    if (!isJsonObject(message)) fail("invalid_value", "A message must be an object.", param);
    switch (message.role) {
      case "system":
      case "developer":
        for (const block of textContentToAnthropic(message.content, `${param}.content`)) system.push(block);
        return;
      case "user":
        append("user", userContentToAnthropic(message.content, `${param}.content`));
        return;
      case "assistant":
        append("assistant", [
          ...textContentToAnthropic(message.content, `${param}.content`),
          ...toolUseBlocks(message, param, knownIds),
        ]);
        return;
      case "tool":
        append("user", [toolResultBlock(message, param, knownIds)]);
        return;
      case "function":
        fail("unsupported_parameter", "The deprecated `function` role is not supported; use `tool`.", param);
        return;
      default:
        fail("invalid_value", `Unknown message role ${JSON.stringify(message.role)}.`, `${param}.role`);
    }
  });
  if (turns.length === 0) {
    fail(
      "invalid_value",
      "`messages` needs a user or assistant message besides system messages.",
      "messages",
    );
  }
  return { system, messages: turns };
}
