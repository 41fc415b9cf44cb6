/**
 * @module translate/openai-to-anthropic-request
 * An OpenAI chat-completions request body → an Anthropic Messages request body. Fields with no Anthropic
 * counterpart either change the answer (rejected with a clear error) or do not (dropped, and listed).
 */
import type { AnthropicMessagesRequest } from "../wire/anthropic/anthropic-types.ts";
import { isAbsent, isJsonObject, type JsonObject, readString } from "./json-object.ts";
import { openAiMessagesToAnthropic } from "./openai-messages-to-anthropic.ts";
import { openAiToolsToAnthropic } from "./openai-tools-to-anthropic.ts";
import { fail, runTranslation, type Translation } from "./translation-result.ts";

/**
 * `max_tokens` when the request sets neither `max_completion_tokens` nor `max_tokens` (Anthropic requires
 * one): 4096, the largest output every Claude model accepts. Set a route param to raise it.
 */
export const DEFAULT_MAX_TOKENS = 4096;

export interface OpenAiToAnthropicRequestOptions {
  /** The upstream model (the route's); defaults to the body's `model`. */
  readonly model?: string;
  readonly defaultMaxTokens?: number;
  /** Prompt caching: a `cache_control: {type: "ephemeral"}` breakpoint on the last system block and the last tool. */
  readonly cacheBreakpoints?: boolean;
}

export interface AnthropicRequestTranslation {
  readonly body: AnthropicMessagesRequest;
  /** Set when `response_format` became a forced tool: pass it to the response and stream translators. */
  readonly jsonToolName: string | null;
  /** `stream_options.include_usage`: the stream translator ends with a usage chunk. */
  readonly includeUsage: boolean;
  /** Fields present in the request that were dropped because they do not change the answer (for logs). */
  readonly ignoredFields: readonly string[];
}

/** Fields the translation reads. */
const MAPPED = new Set([
  "model",
  "messages",
  "max_tokens",
  "max_completion_tokens",
  "temperature",
  "top_p",
  "stop",
  "stream",
  "stream_options",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "response_format",
  "user",
  "safety_identifier",
  // Anthropic-native parameters, passed through so an operator can set them as route params.
  "top_k",
  "thinking",
]);

/** Fields that change the answer; rejected unless they hold their neutral value. */
const NEUTRAL: Readonly<Record<string, (value: unknown) => boolean>> = {
  n: (value) => value === 1,
  logprobs: (value) => value === false,
  top_logprobs: (value) => value === 0,
  logit_bias: (value) => isJsonObject(value) && Object.keys(value).length === 0,
  frequency_penalty: (value) => value === 0,
  presence_penalty: (value) => value === 0,
  modalities: (value) => Array.isArray(value) && value.every((modality) => modality === "text"),
  audio: () => false,
  prediction: () => false,
  web_search_options: () => false,
  functions: () => false,
  function_call: () => false,
};

function checkUnsupported(body: JsonObject): string[] {
  const ignored: string[] = [];
  for (const [field, value] of Object.entries(body)) {
    if (MAPPED.has(field) || isAbsent(value)) continue;
    const neutral = NEUTRAL[field];
    if (neutral === undefined) ignored.push(field);
    else if (!neutral(value)) {
      const hint = field === "functions" || field === "function_call" ? " (use tools and tool_choice)" : "";
      fail("unsupported_parameter", `${field} is not supported on Anthropic routes${hint}.`, field);
    }
  }
  return ignored;
}

function readNumber(body: JsonObject, field: string, min: number, max: number): number | undefined {
  const value = body[field];
  if (isAbsent(value)) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    fail("invalid_value", `${field} must be a number from ${min} to ${max} on Anthropic routes.`, field);
  }
  return value;
}

function readMaxTokens(body: JsonObject, fallback: number): number {
  const field = isAbsent(body.max_completion_tokens) ? "max_tokens" : "max_completion_tokens";
  const value = body[field];
  if (isAbsent(value)) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    fail("invalid_value", `${field} must be a positive integer.`, field);
  }
  return value;
}

function readStop(value: unknown): string[] | undefined {
  if (isAbsent(value)) return undefined;
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || !list.every((item) => typeof item === "string")) {
    fail("invalid_value", "stop must be a string or a list of strings.", "stop");
  }
  return list.length === 0 ? undefined : list;
}

function translate(input: unknown, options: OpenAiToAnthropicRequestOptions): AnthropicRequestTranslation {
  if (!isJsonObject(input)) fail("invalid_value", "The request body must be a JSON object.");
  const ignoredFields = checkUnsupported(input);
  const model = options.model ?? readString(input.model);
  if (model === null || model === "") fail("invalid_value", "model is required.", "model");
  const { system, messages } = openAiMessagesToAnthropic(input.messages);
  const { tools, toolChoice, jsonToolName } = openAiToolsToAnthropic(input);

  const body: AnthropicMessagesRequest = {
    model,
    max_tokens: readMaxTokens(input, options.defaultMaxTokens ?? DEFAULT_MAX_TOKENS),
    messages,
  };
  if (system.length > 0) body.system = system;
  if (tools.length > 0) body.tools = tools;
  if (toolChoice !== null) body.tool_choice = toolChoice;
  const stop = readStop(input.stop);
  if (stop !== undefined) body.stop_sequences = stop;
  const temperature = readNumber(input, "temperature", 0, 1);
  if (temperature !== undefined) body.temperature = temperature;
  const topP = readNumber(input, "top_p", 0, 1);
  if (topP !== undefined) body.top_p = topP;
  const topK = readNumber(input, "top_k", 0, Number.MAX_SAFE_INTEGER);
  if (topK !== undefined) body.top_k = topK;
  if (!isAbsent(input.thinking)) body.thinking = input.thinking;
  const user = readString(input.user) ?? readString(input.safety_identifier);
  if (user !== null && user !== "") body.metadata = { user_id: user };
  if (input.stream === true) body.stream = true;

  if (options.cacheBreakpoints === true) {
    const lastSystem = body.system?.at(-1);
    if (lastSystem !== undefined) lastSystem.cache_control = { type: "ephemeral" };
    const lastTool = body.tools?.at(-1);
    if (lastTool !== undefined) lastTool.cache_control = { type: "ephemeral" };
  }
  const streamOptions = input.stream_options;
  const includeUsage =
    input.stream === true && isJsonObject(streamOptions) && streamOptions.include_usage === true;
  return { body, jsonToolName, includeUsage, ignoredFields };
}

export function openAiToAnthropicRequest(
  body: unknown,
  options: OpenAiToAnthropicRequestOptions = {},
): Translation<AnthropicRequestTranslation> {
  return runTranslation(() => translate(body, options));
}
