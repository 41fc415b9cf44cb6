/**
 * @module wire/openai/check-chat-request
 * The Chat Completions request contract (`CreateChatCompletionRequest`): the first spec-forbidden shape as
 * a 400 with `param`, checked on every route before routing; unknown fields pass.
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

const ROLES = ["developer", "system", "user", "assistant", "tool", "function"] as const;
/** Roles whose `content` may be absent or null (the rest require it). */
const CONTENT_OPTIONAL: ReadonlySet<string> = new Set(["assistant", "function"]);
const ROLE_LIST = `one of ${ROLES.join(", ")}`;
const CONTENT = "a string or a non-empty array of content parts";

const FIELDS: readonly FieldRule[] = [
  { field: "stream", type: "boolean", nullable: true },
  { field: "n", type: "positive integer", nullable: true },
  { field: "max_tokens", type: "integer", nullable: true },
  { field: "max_completion_tokens", type: "integer", nullable: true },
  { field: "temperature", type: "number", nullable: true },
  { field: "top_p", type: "number", nullable: true },
  // Not nullable in the spec, but OpenAI's API takes null as absent and clients send it: never refused.
  { field: "tools", type: "objects", nullable: true },
  { field: "stream_options", type: "object", nullable: true },
  // A string in the spec; anything else could not be bound to its user on the operator's key.
  { field: "prompt_cache_key", type: "string", nullable: true },
];

function checkContent(message: Readonly<Record<string, unknown>>, param: string): GatewayError | null {
  const { content } = message;
  if (content === undefined || content === null) {
    if (CONTENT_OPTIONAL.has(message.role as string)) return null;
    return content === undefined
      ? missingField(`${param}.content`)
      : invalidField(`${param}.content`, CONTENT);
  }
  if (typeof content === "string") return null;
  if (!Array.isArray(content) || content.length === 0) return invalidField(`${param}.content`, CONTENT);
  return checkContentItems(content, `${param}.content`);
}

function checkMessage(message: unknown, param: string): GatewayError | null {
  if (!isRecord(message)) return invalidField(param, "an object");
  if (message.role === undefined) return missingField(`${param}.role`);
  if (!(ROLES as readonly unknown[]).includes(message.role)) return invalidField(`${param}.role`, ROLE_LIST);
  const content = checkContent(message, param);
  if (content !== null) return content;
  if (message.role === "tool" && typeof message.tool_call_id !== "string") {
    return message.tool_call_id === undefined
      ? missingField(`${param}.tool_call_id`)
      : invalidField(`${param}.tool_call_id`, "a string");
  }
  const toolCalls = message.tool_calls;
  if (toolCalls !== undefined && !(Array.isArray(toolCalls) && toolCalls.every(isRecord))) {
    return invalidField(`${param}.tool_calls`, "an array of objects");
  }
  return null;
}

/** `messages`: a non-empty array of messages, each an object with a known `role` and content of its shape. */
export function checkChatMessages(messages: unknown): GatewayError | null {
  if (messages === undefined) return missingField("messages");
  if (!Array.isArray(messages) || messages.length === 0) return invalidField("messages", "a non-empty array");
  for (let index = 0; index < messages.length; index += 1) {
    const refused = checkMessage(messages[index], `messages[${index}]`);
    if (refused !== null) return refused;
  }
  return null;
}

export function checkChatRequest(body: Readonly<Record<string, unknown>>): GatewayError | null {
  return checkChatMessages(body.messages) ?? checkFields(body, FIELDS);
}
