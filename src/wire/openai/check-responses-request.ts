/**
 * @module wire/openai/check-responses-request
 * The request contract of `POST /v1/responses`: the first shape OpenAI's `CreateResponse` schema forbids
 * (a known field of the wrong JSON type, an input item or tool of the wrong shape) as a 400 naming the
 * field, before anything is routed or sent upstream. Unknown fields are never refused.
 */
import { GatewayError } from "../../errors/gateway-error.ts";

type Body = Readonly<Record<string, unknown>>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const absent = (value: unknown): boolean => value === undefined || value === null;
const invalid = (param: string, message: string): GatewayError =>
  new GatewayError("invalid_request", { message, param });

/** Optional fields of a plain JSON type: `null` reads as absent, as OpenAI's SDKs send it. */
const TYPED: readonly (readonly [string, "string" | "boolean" | "number" | "object"])[] = [
  ["model", "string"],
  ["instructions", "string"],
  ["previous_response_id", "string"],
  ["stream", "boolean"],
  ["store", "boolean"],
  ["background", "boolean"],
  ["parallel_tool_calls", "boolean"],
  ["temperature", "number"],
  ["top_p", "number"],
  ["user", "string"],
  ["safety_identifier", "string"],
  ["prompt_cache_key", "string"],
  ["metadata", "object"],
  ["text", "object"],
  ["reasoning", "object"],
  ["stream_options", "object"],
];

const A = { string: "a string", boolean: "a boolean", number: "a number", object: "an object" } as const;

function checkTyped(body: Body): GatewayError | null {
  for (const [field, type] of TYPED) {
    const value = body[field];
    if (absent(value)) continue;
    const ok =
      type === "object"
        ? isObject(value)
        : typeof value === type && (type !== "number" || Number.isFinite(value));
    if (!ok) return invalid(field, `\`${field}\` must be ${A[type]}.`);
  }
  return null;
}

function checkContent(content: unknown, param: string): GatewayError | null {
  if (typeof content === "string") return null;
  if (!Array.isArray(content))
    return invalid(param, `\`${param}\` must be a string or an array of content parts.`);
  for (const [index, part] of content.entries()) {
    if (!isObject(part) || typeof part.type !== "string")
      return invalid(
        `${param}[${index}]`,
        `\`${param}[${index}]\` must be an object with a string \`type\`.`,
      );
  }
  return null;
}

function checkInput(input: unknown): GatewayError | null {
  if (typeof input === "string") return null;
  if (!Array.isArray(input)) return invalid("input", "`input` must be a string or an array of input items.");
  for (const [index, item] of input.entries()) {
    const param = `input[${index}]`;
    if (!isObject(item)) return invalid(param, `\`${param}\` must be an object.`);
    if (!absent(item.type) && typeof item.type !== "string")
      return invalid(`${param}.type`, `\`${param}.type\` must be a string.`);
    const isMessage = absent(item.type) || item.type === "message";
    if (!isMessage) continue;
    if (typeof item.role !== "string") return invalid(`${param}.role`, `\`${param}.role\` must be a string.`);
    const content = checkContent(item.content, `${param}.content`);
    if (content !== null) return content;
  }
  return null;
}

function checkTools(tools: unknown): GatewayError | null {
  if (absent(tools)) return null;
  if (!Array.isArray(tools)) return invalid("tools", "`tools` must be an array.");
  for (const [index, tool] of tools.entries()) {
    if (!isObject(tool) || typeof tool.type !== "string")
      return invalid(`tools[${index}]`, `\`tools[${index}]\` must be an object with a string \`type\`.`);
  }
  return null;
}

export function checkResponsesRequest(body: Body): GatewayError | null {
  const typed = checkTyped(body);
  if (typed !== null) return typed;
  if (body.input === undefined) return invalid("input", "`input` is required.");
  const input = checkInput(body.input);
  if (input !== null) return input;
  const tools = checkTools(body.tools);
  if (tools !== null) return tools;
  const choice = body.tool_choice;
  if (!absent(choice) && typeof choice !== "string" && !isObject(choice))
    return invalid("tool_choice", "`tool_choice` must be a string or an object.");
  const max = body.max_output_tokens;
  if (!absent(max) && !(typeof max === "number" && Number.isInteger(max) && max >= 16))
    return invalid("max_output_tokens", "`max_output_tokens` must be an integer of at least 16.");
  return null;
}
