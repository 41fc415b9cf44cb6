/**
 * @module translate/anthropic-to-openai-request
 * An Anthropic Messages request (the `/v1/messages` ingress) → an OpenAI chat-completions request: system,
 * messages, tools, tool_choice, stop_sequences, max_tokens, sampling, metadata.user_id; a stream asks for usage.
 */
import { anthropicMessagesToOpenAi } from "./anthropic-messages-to-openai.ts";
import { isAbsent, isJsonObject, type JsonObject, readString } from "./json-object.ts";
import { fail, runTranslation, type Translation } from "./translation-result.ts";

export interface AnthropicToOpenAiRequestOptions {
  /** The upstream model (the route's); defaults to the body's `model`. */
  readonly model?: string;
  /** OpenAI's own API wants `max_completion_tokens` (reasoning models refuse `max_tokens`); most hosts read `max_tokens`. */
  readonly maxTokensField?: "max_tokens" | "max_completion_tokens";
}

export interface OpenAiRequestTranslation {
  readonly body: JsonObject;
  /** Fields present in the request that were dropped because they have no OpenAI counterpart (for logs). */
  readonly ignoredFields: readonly string[];
}

const MAPPED = new Set([
  "model",
  "max_tokens",
  "messages",
  "system",
  "tools",
  "tool_choice",
  "stop_sequences",
  "temperature",
  "top_p",
  "metadata",
  "stream",
]);
/** Fields that need what an OpenAI-compatible route cannot do. */
const UNSUPPORTED = new Set(["mcp_servers", "container"]);

function convertTool(tool: unknown, index: number): JsonObject {
  const param = `tools[${index}]`;
  if (!isJsonObject(tool)) fail("invalid_value", "A tool must be an object.", param);
  if (tool.type !== undefined && tool.type !== null && tool.type !== "custom") {
    fail("unsupported_parameter", `Server tool ${String(tool.type)} cannot run on this route.`, param);
  }
  const name = readString(tool.name);
  if (name === null || name === "") fail("invalid_value", "A tool needs a name.", `${param}.name`);
  const schema = tool.input_schema;
  if (!isJsonObject(schema) || (schema.type !== undefined && schema.type !== "object")) {
    fail("invalid_value", "A tool's input_schema must be an object schema.", `${param}.input_schema`);
  }
  const description = readString(tool.description);
  return {
    type: "function",
    function: { name, ...(description === null ? {} : { description }), parameters: schema },
  };
}

function convertToolChoice(choice: JsonObject, names: ReadonlySet<string>): unknown {
  switch (choice.type) {
    case "auto":
      return "auto";
    case "any":
      return "required";
    case "none":
      return "none";
    case "tool": {
      const name = readString(choice.name);
      if (name === null || !names.has(name))
        fail("invalid_value", "tool_choice names a tool not in tools.", "tool_choice.name");
      return { type: "function", function: { name } };
    }
    default:
      return fail("invalid_value", "tool_choice.type must be auto, any, tool or none.", "tool_choice.type");
  }
}

function translate(input: unknown, options: AnthropicToOpenAiRequestOptions): OpenAiRequestTranslation {
  if (!isJsonObject(input)) fail("invalid_value", "The request body must be a JSON object.");
  const ignoredFields: string[] = [];
  for (const [field, value] of Object.entries(input)) {
    if (MAPPED.has(field) || isAbsent(value)) continue;
    if (UNSUPPORTED.has(field))
      fail("unsupported_parameter", `${field} is not supported on this route.`, field);
    ignoredFields.push(field); // top_k, thinking, service_tier, … (documented in docs/translation.md)
  }
  const model = options.model ?? readString(input.model);
  if (model === null || model === "") fail("invalid_value", "model is required.", "model");
  const body: JsonObject = { model, messages: anthropicMessagesToOpenAi(input.system, input.messages) };

  if (!isAbsent(input.max_tokens)) {
    if (typeof input.max_tokens !== "number" || !Number.isInteger(input.max_tokens) || input.max_tokens < 1) {
      fail("invalid_value", "max_tokens must be a positive integer.", "max_tokens");
    }
    body[options.maxTokensField ?? "max_tokens"] = input.max_tokens;
  }
  if (!isAbsent(input.tools) && !Array.isArray(input.tools))
    fail("invalid_value", "tools must be a list.", "tools");
  const tools = Array.isArray(input.tools) ? input.tools.map(convertTool) : [];
  if (tools.length > 0) body.tools = tools;
  const choice = input.tool_choice;
  if (!isAbsent(choice)) {
    if (!isJsonObject(choice)) fail("invalid_value", "tool_choice must be an object.", "tool_choice");
    if (tools.length > 0) {
      const names = new Set(tools.map((tool) => String((tool.function as JsonObject).name)));
      body.tool_choice = convertToolChoice(choice, names);
      if (choice.disable_parallel_tool_use === true && choice.type !== "none")
        body.parallel_tool_calls = false;
    } else if (choice.type !== "auto" && choice.type !== "none") {
      fail("invalid_value", "tool_choice asks for a tool call but no tools are given.", "tool_choice");
    }
  }
  if (!isAbsent(input.stop_sequences)) {
    const stop = input.stop_sequences;
    if (!Array.isArray(stop) || !stop.every((item) => typeof item === "string")) {
      fail("invalid_value", "stop_sequences must be a list of strings.", "stop_sequences");
    }
    if (stop.length > 0) body.stop = stop;
  }
  for (const field of ["temperature", "top_p"] as const) {
    const value = input[field];
    if (isAbsent(value)) continue;
    if (typeof value !== "number" || !Number.isFinite(value))
      fail("invalid_value", `${field} must be a number.`, field);
    body[field] = value;
  }
  const userId = isJsonObject(input.metadata) ? readString(input.metadata.user_id) : null;
  if (userId !== null && userId !== "") body.user = userId;
  if (input.stream === true) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return { body, ignoredFields };
}

export function anthropicToOpenAiRequest(
  body: unknown,
  options: AnthropicToOpenAiRequestOptions = {},
): Translation<OpenAiRequestTranslation> {
  return runTranslation(() => translate(body, options));
}
