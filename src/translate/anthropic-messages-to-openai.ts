/**
 * @module translate/anthropic-messages-to-openai
 * Anthropic `system` + `messages` → OpenAI `messages`: the system prompt leads; tool_result blocks become
 * `tool` messages right after the assistant turn (answering a tool_use an earlier assistant turn made);
 * images become `image_url` parts, PDFs `file` parts; thinking blocks are dropped.
 */
import { isAbsent, isJsonObject, type JsonObject, readString } from "./json-object.ts";
import { fail } from "./translation-result.ts";

type OpenAiPart = JsonObject;
export type OpenAiMessage = JsonObject;

function textOf(block: JsonObject, param: string): string {
  const text = readString(block.text);
  if (text === null) fail("invalid_value", "A text block needs a string `text`.", param);
  return text;
}

function blocksOf(content: unknown, param: string): JsonObject[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  if (!Array.isArray(content)) fail("invalid_value", "content must be a string or a list of blocks.", param);
  return content.map((block: unknown, index) => {
    if (!isJsonObject(block))
      fail("invalid_value", "A content block must be an object.", `${param}[${index}]`);
    return block;
  });
}

function imagePart(block: JsonObject, param: string): OpenAiPart {
  const source = isJsonObject(block.source) ? block.source : {};
  if (source.type === "base64") {
    const mediaType = readString(source.media_type);
    const data = readString(source.data);
    if (mediaType === null || data === null)
      fail("invalid_value", "A base64 image needs media_type and data.", param);
    return { type: "image_url", image_url: { url: `data:${mediaType};base64,${data}` } };
  }
  if (source.type === "url" && readString(source.url) !== null) {
    return { type: "image_url", image_url: { url: source.url } };
  }
  return fail("unsupported_parameter", "Only base64 and url image sources can be sent to this route.", param);
}

function documentPart(block: JsonObject, param: string): OpenAiPart {
  const source = isJsonObject(block.source) ? block.source : {};
  if (
    source.type === "base64" &&
    source.media_type === "application/pdf" &&
    typeof source.data === "string"
  ) {
    const filename = readString(block.title) ?? "document.pdf";
    return { type: "file", file: { filename, file_data: `data:application/pdf;base64,${source.data}` } };
  }
  if (source.type === "text" && typeof source.data === "string") return { type: "text", text: source.data };
  return fail(
    "unsupported_parameter",
    "Only base64 PDF and plain-text documents can be sent to this route.",
    param,
  );
}

/** Text parts as one string when that is all there is (the form every OpenAI-compatible host reads). */
function partsToContent(parts: readonly OpenAiPart[]): string | OpenAiPart[] {
  if (parts.length === 1 && parts[0]?.type === "text") return String(parts[0].text);
  return [...parts];
}

interface ConversionState {
  readonly knownToolIds: Set<string>;
  readonly out: OpenAiMessage[];
}

function convertUser(content: unknown, param: string, state: ConversionState): void {
  const parts: OpenAiPart[] = [];
  const toolMessages: OpenAiMessage[] = [];
  const deferredImages: OpenAiPart[] = [];
  blocksOf(content, param).forEach((block, index) => {
    const blockParam = `${param}[${index}]`;
    switch (block.type) {
      case "text":
        parts.push({ type: "text", text: textOf(block, blockParam) });
        return;
      case "image":
        parts.push(imagePart(block, blockParam));
        return;
      case "document":
        parts.push(documentPart(block, blockParam));
        return;
      case "tool_result": {
        const id = readString(block.tool_use_id);
        if (id === null || !state.knownToolIds.has(id)) {
          fail(
            "unknown_tool_call",
            "tool_use_id answers no tool_use of an earlier assistant turn.",
            `${blockParam}.tool_use_id`,
          );
        }
        const texts: string[] = [];
        if (!isAbsent(block.content)) {
          blocksOf(block.content, `${blockParam}.content`).forEach((inner, innerIndex) => {
            const innerParam = `${blockParam}.content[${innerIndex}]`;
            if (inner.type === "text") texts.push(textOf(inner, innerParam));
            // OpenAI tool messages carry text only: images follow in a user message.
            else if (inner.type === "image") deferredImages.push(imagePart(inner, innerParam));
            else
              fail(
                "unsupported_parameter",
                `tool_result blocks of type ${String(inner.type)} are not supported.`,
                innerParam,
              );
          });
        }
        // `is_error` has no OpenAI field; the result text itself is sent.
        toolMessages.push({ role: "tool", tool_call_id: id, content: texts.join("\n") });
        return;
      }
      default:
        fail(
          "unsupported_parameter",
          `Content blocks of type ${String(block.type)} are not supported here.`,
          blockParam,
        );
    }
  });
  for (const toolMessage of toolMessages) state.out.push(toolMessage); // a client decides how many

  const userParts = [...deferredImages, ...parts];
  if (userParts.length > 0) state.out.push({ role: "user", content: partsToContent(userParts) });
}

function convertAssistant(content: unknown, param: string, state: ConversionState): void {
  const texts: string[] = [];
  const toolCalls: JsonObject[] = [];
  blocksOf(content, param).forEach((block, index) => {
    const blockParam = `${param}[${index}]`;
    if (block.type === "text") texts.push(textOf(block, blockParam));
    else if (block.type === "tool_use") {
      const id = readString(block.id);
      const name = readString(block.name);
      if (id === null || name === null)
        fail("invalid_value", "A tool_use block needs an id and a name.", blockParam);
      if (!isAbsent(block.input) && !isJsonObject(block.input)) {
        fail("invalid_value", "A tool_use input must be an object.", `${blockParam}.input`);
      }
      state.knownToolIds.add(id);
      toolCalls.push({
        id,
        type: "function",
        function: { name, arguments: JSON.stringify(block.input ?? {}) },
      });
    } else if (block.type !== "thinking" && block.type !== "redacted_thinking") {
      fail(
        "unsupported_parameter",
        `Content blocks of type ${String(block.type)} are not supported here.`,
        blockParam,
      );
    }
  });
  if (texts.length === 0 && toolCalls.length === 0) return;
  state.out.push({
    role: "assistant",
    content: texts.length === 0 ? null : texts.join(""),
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
  });
}

function systemText(system: unknown): string | null {
  if (isAbsent(system)) return null;
  const texts = blocksOf(system, "system").map((block, index) => {
    if (block.type !== "text") fail("invalid_value", "system blocks must be text.", `system[${index}]`);
    return textOf(block, `system[${index}]`);
  });
  const joined = texts.join("\n\n");
  return joined === "" ? null : joined;
}

export function anthropicMessagesToOpenAi(system: unknown, messages: unknown): OpenAiMessage[] {
  if (!Array.isArray(messages) || messages.length === 0) {
    fail("invalid_value", "`messages` must be a non-empty list.", "messages");
  }
  const state: ConversionState = { knownToolIds: new Set(), out: [] };
  const prompt = systemText(system);
  if (prompt !== null) state.out.push({ role: "system", content: prompt });
  messages.forEach((message: unknown, index) => {
    const param = `messages[${index}]`;
    if (!isJsonObject(message)) fail("invalid_value", "A message must be an object.", param);
    if (message.role === "user") convertUser(message.content, `${param}.content`, state);
    else if (message.role === "assistant") convertAssistant(message.content, `${param}.content`, state);
    else fail("invalid_value", "A message role must be user or assistant.", `${param}.role`);
  });
  return state.out;
}
