/**
 * @module library/ai-sdk/prompt-to-openai-messages
 * An AI SDK prompt (system, user, assistant and tool messages) as OpenAI Chat Completions messages: text,
 * images (URL or base64 data URL), tool calls and tool results. What Chat Completions cannot carry is refused.
 */
import {
  type LanguageModelV4FilePart,
  type LanguageModelV4Prompt,
  type LanguageModelV4ToolResultOutput,
  type SharedV4Warning,
  UnsupportedFunctionalityError,
} from "@ai-sdk/provider";

export type OpenAiMessage = Readonly<Record<string, unknown>>;

export interface ConvertedPrompt {
  readonly messages: OpenAiMessage[];
  readonly warnings: SharedV4Warning[];
}

function base64Of(data: Uint8Array | string): string {
  return typeof data === "string" ? data : Buffer.from(data).toString("base64");
}

/** A user's file part as an OpenAI content part: images only (and text files as text). */
function filePartToOpenAi(part: LanguageModelV4FilePart): Record<string, unknown> {
  const { data } = part;
  if (data.type === "text") return { type: "text", text: data.text };
  if (!part.mediaType.startsWith("image/") || data.type === "reference") {
    throw new UnsupportedFunctionalityError({
      functionality: `file parts of type ${part.mediaType}${data.type === "reference" ? " by reference" : ""}`,
    });
  }
  const mediaType = part.mediaType === "image/*" ? "image/jpeg" : part.mediaType;
  const url = data.type === "url" ? data.url.href : `data:${mediaType};base64,${base64Of(data.data)}`;
  return { type: "image_url", image_url: { url } };
}

/** A tool's result as the text of a `tool` message (Chat Completions carries text only). */
function toolOutputToText(output: LanguageModelV4ToolResultOutput, warnings: SharedV4Warning[]): string {
  switch (output.type) {
    case "text":
    case "error-text":
      return output.value;
    case "json":
    case "error-json":
      return JSON.stringify(output.value);
    case "execution-denied":
      return output.reason ?? "Tool execution denied.";
    case "content": {
      const texts: string[] = [];
      for (const item of output.value) {
        if (item.type === "text") texts.push(item.text);
        else warnings.push({ type: "unsupported", feature: `tool result content of type ${item.type}` });
      }
      return texts.join("\n");
    }
  }
}

export function promptToOpenAiMessages(prompt: LanguageModelV4Prompt): ConvertedPrompt {
  const messages: OpenAiMessage[] = [];
  const warnings: SharedV4Warning[] = [];
  for (const message of prompt) {
    switch (message.role) {
      case "system":
        messages.push({ role: "system", content: message.content });
        break;
      case "user": {
        const only = message.content[0];
        if (message.content.length === 1 && only?.type === "text") {
          messages.push({ role: "user", content: only.text });
          break;
        }
        messages.push({
          role: "user",
          content: message.content.map((part) =>
            part.type === "text" ? { type: "text", text: part.text } : filePartToOpenAi(part),
          ),
        });
        break;
      }
      case "assistant": {
        let text = "";
        const toolCalls: Record<string, unknown>[] = [];
        for (const part of message.content) {
          if (part.type === "text") text += part.text;
          else if (part.type === "tool-call") {
            toolCalls.push({
              id: part.toolCallId,
              type: "function",
              function: { name: part.toolName, arguments: JSON.stringify(part.input ?? {}) },
            });
          } else if (part.type === "reasoning" || part.type === "reasoning-file") {
            warnings.push({ type: "unsupported", feature: "reasoning parts in assistant messages" });
          } else if (part.type !== "tool-result") {
            // Provider-executed results and custom parts have no Chat Completions form.
            warnings.push({ type: "unsupported", feature: `assistant parts of type ${part.type}` });
          }
        }
        messages.push({
          role: "assistant",
          content: text === "" && toolCalls.length > 0 ? null : text,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        });
        break;
      }
      case "tool":
        for (const part of message.content) {
          if (part.type !== "tool-result") continue; // approval responses are the AI SDK's own bookkeeping
          messages.push({
            role: "tool",
            tool_call_id: part.toolCallId,
            content: toolOutputToText(part.output, warnings),
          });
        }
        break;
    }
  }
  return { messages, warnings };
}
