/**
 * @module library/ai-sdk/build-chat-body
 * An AI SDK call's options as the OpenAI Chat Completions body the gateway's pipeline serves (the feature
 * in `model`), with a warning for each setting it cannot carry; streams ask for usage.
 */
import type { LanguageModelV4CallOptions, SharedV4Warning } from "@ai-sdk/provider";
import { promptToOpenAiMessages } from "./prompt-to-openai-messages.ts";

export interface ChatBody {
  readonly body: Record<string, unknown>;
  readonly warnings: SharedV4Warning[];
}

function toolsOf(options: LanguageModelV4CallOptions, warnings: SharedV4Warning[]): unknown[] {
  const tools: unknown[] = [];
  for (const tool of options.tools ?? []) {
    if (tool.type !== "function") {
      warnings.push({ type: "unsupported", feature: `provider-defined tool ${tool.id}` });
      continue;
    }
    tools.push({
      type: "function",
      function: {
        name: tool.name,
        ...(tool.description === undefined ? {} : { description: tool.description }),
        parameters: tool.inputSchema,
        ...(tool.strict === undefined ? {} : { strict: tool.strict }),
      },
    });
  }
  return tools;
}

function toolChoiceOf(options: LanguageModelV4CallOptions): unknown {
  const choice = options.toolChoice;
  if (choice === undefined) return undefined;
  return choice.type === "tool" ? { type: "function", function: { name: choice.toolName } } : choice.type;
}

function responseFormatOf(options: LanguageModelV4CallOptions): unknown {
  const format = options.responseFormat;
  if (format === undefined || format.type === "text") return undefined;
  if (format.schema === undefined) return { type: "json_object" };
  return {
    type: "json_schema",
    json_schema: {
      name: format.name ?? "response",
      ...(format.description === undefined ? {} : { description: format.description }),
      schema: format.schema,
    },
  };
}

export function buildChatBody(
  feature: string,
  options: LanguageModelV4CallOptions,
  stream: boolean,
): ChatBody {
  const { messages, warnings } = promptToOpenAiMessages(options.prompt);
  if (options.topK !== undefined) warnings.push({ type: "unsupported", feature: "topK" });
  if (options.reasoning !== undefined && options.reasoning !== "provider-default") {
    warnings.push({ type: "unsupported", feature: "reasoning" });
  }
  const tools = toolsOf(options, warnings);
  const optional: Record<string, unknown> = {
    max_completion_tokens: options.maxOutputTokens,
    temperature: options.temperature,
    top_p: options.topP,
    presence_penalty: options.presencePenalty,
    frequency_penalty: options.frequencyPenalty,
    seed: options.seed,
    stop:
      options.stopSequences !== undefined && options.stopSequences.length > 0
        ? options.stopSequences
        : undefined,
    response_format: responseFormatOf(options),
    tools: tools.length > 0 ? tools : undefined,
    tool_choice: tools.length > 0 ? toolChoiceOf(options) : undefined,
  };
  const body: Record<string, unknown> = { model: feature, messages };
  for (const [name, value] of Object.entries(optional)) if (value !== undefined) body[name] = value;
  if (stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return { body, warnings };
}
