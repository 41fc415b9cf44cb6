/**
 * @module wire/openai/check-responses-request
 * The Responses request contract (`CreateResponse`): the first spec-forbidden shape (a known field of the
 * wrong JSON type, an input item or tool of the wrong shape) as a 400 with `param`, checked on every route
 * before routing; unknown fields pass.
 */
import type { GatewayError } from "../../errors/gateway-error.ts";
import {
  checkContentItems,
  checkFields,
  type FieldRule,
  invalidField,
  isRecord,
  missingField,
} from "../invalid-field.ts";

const FIELDS: readonly FieldRule[] = [
  { field: "instructions", type: "string", nullable: true },
  { field: "previous_response_id", type: "string", nullable: true },
  { field: "stream", type: "boolean", nullable: true },
  { field: "store", type: "boolean", nullable: true },
  { field: "background", type: "boolean", nullable: true },
  { field: "parallel_tool_calls", type: "boolean", nullable: true },
  { field: "max_output_tokens", type: "integer", nullable: true },
  { field: "temperature", type: "number", nullable: true },
  { field: "top_p", type: "number", nullable: true },
  { field: "user", type: "string", nullable: true },
  { field: "safety_identifier", type: "string", nullable: true },
  { field: "prompt_cache_key", type: "string", nullable: true },
  { field: "metadata", type: "object", nullable: true },
  { field: "text", type: "object", nullable: true },
  { field: "reasoning", type: "object", nullable: true },
  { field: "stream_options", type: "object", nullable: true },
];

const CONTENT = "a string or an array of content parts";

function checkItem(item: unknown, param: string): GatewayError | null {
  if (!isRecord(item)) return invalidField(param, "an object");
  const { type } = item;
  if (type !== undefined && type !== null && typeof type !== "string")
    return invalidField(`${param}.type`, "a string");
  // A message item (named, or the easy form without `type`): a role and its content.
  if (type !== undefined && type !== null && type !== "message") return null;
  if (item.role === undefined) return missingField(`${param}.role`);
  if (typeof item.role !== "string") return invalidField(`${param}.role`, "a string");
  const { content } = item;
  if (content === undefined) return missingField(`${param}.content`);
  if (typeof content === "string") return null;
  if (!Array.isArray(content)) return invalidField(`${param}.content`, CONTENT);
  return checkContentItems(content, `${param}.content`);
}

function checkInput(input: unknown): GatewayError | null {
  if (input === undefined || input === null) return missingField("input");
  if (typeof input === "string") return null;
  if (!Array.isArray(input)) return invalidField("input", "a string or an array of input items");
  for (let index = 0; index < input.length; index += 1) {
    const refused = checkItem(input[index], `input[${index}]`);
    if (refused !== null) return refused;
  }
  return null;
}

function checkTools(tools: unknown): GatewayError | null {
  if (tools === undefined || tools === null) return null;
  if (!Array.isArray(tools) || !tools.every(isRecord)) return invalidField("tools", "an array of objects");
  for (let index = 0; index < tools.length; index += 1) {
    if (typeof tools[index]!.type !== "string") return invalidField(`tools[${index}].type`, "a string");
  }
  return null;
}

export function checkResponsesRequest(body: Readonly<Record<string, unknown>>): GatewayError | null {
  const choice = body.tool_choice;
  if (choice !== undefined && choice !== null && typeof choice !== "string" && !isRecord(choice))
    return invalidField("tool_choice", "a string or an object");
  return checkInput(body.input) ?? checkTools(body.tools) ?? checkFields(body, FIELDS);
}
