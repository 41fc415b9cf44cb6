/**
 * @module translate/responses-input-to-chat-messages
 * A Responses request's `instructions` and `input` (a string or a list of items) → chat messages, in
 * order: messages with their text and image parts, `function_call` items grouped into one assistant
 * message's `tool_calls`, `function_call_output` items into `tool` messages.
 */
import { isAbsent, isJsonObject, type JsonObject, readString } from "./json-object.ts";
import { fail } from "./translation-result.ts";

const ROLES = new Set(["user", "system", "developer", "assistant"]);

function refusePart(type: unknown, param: string): never {
  return fail(
    "unsupported_parameter",
    `Content part \`${String(type)}\` is not supported on this route: send text (\`input_text\`) or images (\`input_image\` with an \`image_url\`).`,
    `${param}.type`,
  );
}

/** One input part → a chat content part (user and system messages). */
function convertInputPart(part: unknown, param: string): JsonObject {
  if (!isJsonObject(part)) fail("invalid_value", "A content part must be an object.", param);
  switch (part.type) {
    case "input_text":
    case "output_text": {
      const text = readString(part.text);
      if (text === null) fail("invalid_value", "A text part needs a string `text`.", `${param}.text`);
      return { type: "text", text };
    }
    case "input_image": {
      const url = readString(part.image_url);
      if (url === null || url === "")
        fail(
          "unsupported_parameter",
          "An `input_image` needs an `image_url` on this route (`file_id` refers to stored files).",
          `${param}.image_url`,
        );
      const detail = readString(part.detail);
      return {
        type: "image_url",
        image_url: { url, ...(detail === null || detail === "original" ? {} : { detail }) },
      };
    }
    default:
      return refusePart(part.type, param);
  }
}

/** An assistant message's content: its text parts joined (chat's assistant content is text). */
function assistantText(content: unknown, param: string): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return fail("invalid_value", "`content` must be a string or a list.", param);
  return content
    .map((part: unknown, index) => {
      const at = `${param}[${index}]`;
      if (!isJsonObject(part)) return fail("invalid_value", "A content part must be an object.", at);
      if (part.type !== "output_text" && part.type !== "input_text" && part.type !== "refusal")
        return refusePart(part.type, at);
      const text = readString(part.type === "refusal" ? part.refusal : part.text);
      if (text === null) return fail("invalid_value", "A text part needs its text as a string.", at);
      return text;
    })
    .join("");
}

function convertMessage(item: JsonObject, param: string): JsonObject {
  const role = readString(item.role);
  if (role === null || !ROLES.has(role))
    fail(
      "invalid_value",
      "A message's `role` is `user`, `system`, `developer` or `assistant`.",
      `${param}.role`,
    );
  const at = `${param}.content`;
  if (role === "assistant") return { role, content: assistantText(item.content, at) };
  // `developer` is OpenAI's newer name for system instructions; compatible hosts know `system`.
  const chatRole = role === "developer" ? "system" : role;
  if (typeof item.content === "string") return { role: chatRole, content: item.content };
  if (!Array.isArray(item.content)) return fail("invalid_value", "`content` must be a string or a list.", at);
  const parts = item.content.map((part: unknown, index) => convertInputPart(part, `${at}[${index}]`));
  if (chatRole === "system")
    return {
      role: chatRole,
      content: parts
        .map((part, index) =>
          part.type === "text"
            ? part.text
            : fail(
                "unsupported_parameter",
                "A system or developer message takes text parts only.",
                `${at}[${index}].type`,
              ),
        )
        .join(""),
    };
  return { role: chatRole, content: parts };
}

function toolOutput(output: unknown, param: string): string {
  if (typeof output === "string") return output;
  if (!Array.isArray(output))
    return fail("invalid_value", "A `function_call_output`'s `output` must be a string or a list.", param);
  return output
    .map((part: unknown, index) => {
      const at = `${param}[${index}]`;
      if (!isJsonObject(part) || part.type !== "input_text")
        return refusePart(isJsonObject(part) ? part.type : typeof part, at);
      const text = readString(part.text);
      return text ?? fail("invalid_value", "A text part needs a string `text`.", `${at}.text`);
    })
    .join("");
}

function requireString(item: JsonObject, field: string, param: string): string {
  const value = readString(item[field]);
  if (value === null || value === "")
    fail("invalid_value", `\`${field}\` must be a non-empty string.`, `${param}.${field}`);
  return value;
}

export function responsesInputToChatMessages(input: unknown, instructions: unknown): JsonObject[] {
  const messages: JsonObject[] = [];
  if (!isAbsent(instructions)) {
    if (typeof instructions !== "string")
      fail("invalid_value", "`instructions` must be a string on this route.", "instructions");
    messages.push({ role: "system", content: instructions });
  }
  if (typeof input === "string") {
    messages.push({ role: "user", content: input });
    return messages;
  }
  if (!Array.isArray(input))
    return fail("invalid_value", "`input` must be a string or a list of items.", "input");
  input.forEach((item: unknown, index) => {
    const param = `input[${index}]`;
    if (!isJsonObject(item)) fail("invalid_value", "An input item must be an object.", param);
    const type = isAbsent(item.type) ? "message" : item.type;
    switch (type) {
      case "message":
        messages.push(convertMessage(item, param));
        return;
      case "function_call": {
        const call = {
          id: requireString(item, "call_id", param),
          type: "function",
          function: {
            name: requireString(item, "name", param),
            arguments:
              readString(item.arguments) ??
              fail("invalid_value", "`arguments` must be a string.", `${param}.arguments`),
          },
        };
        const last = messages.at(-1);
        // Consecutive calls (and calls right after the assistant's text) are one assistant turn.
        if (last?.role === "assistant") {
          last.tool_calls = [...(Array.isArray(last.tool_calls) ? last.tool_calls : []), call];
          if (last.content === "") last.content = null;
        } else messages.push({ role: "assistant", content: null, tool_calls: [call] });
        return;
      }
      case "function_call_output":
        messages.push({
          role: "tool",
          tool_call_id: requireString(item, "call_id", param),
          content: toolOutput(item.output, `${param}.output`),
        });
        return;
      case "reasoning":
        // The model's own reasoning from an earlier turn: a chat upstream has no place for it.
        return;
      case "item_reference":
        fail(
          "unsupported_parameter",
          "`item_reference` needs stored items; this route is stateless.",
          `${param}.type`,
        );
        return;
      default:
        fail(
          "unsupported_parameter",
          `Input item \`${String(type)}\` is not supported on this route: send messages, \`function_call\` and \`function_call_output\` items.`,
          `${param}.type`,
        );
    }
  });
  return messages;
}
