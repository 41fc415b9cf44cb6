/**
 * @module wire/anthropic/check-messages-request
 * The Anthropic Messages request contract (and token counting's, which has no `max_tokens`): the first
 * shape the Messages API forbids as a 400 with `param`, checked on every route before routing; unknown fields pass.
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

const ROLES = ["user", "assistant"] as const;
const CONTENT = "a string or an array of content blocks";

const FIELDS: readonly FieldRule[] = [
  { field: "stream", type: "boolean" },
  { field: "temperature", type: "number" },
  { field: "top_p", type: "number" },
  { field: "top_k", type: "integer" },
  { field: "stop_sequences", type: "strings" },
  { field: "tools", type: "objects" },
  { field: "tool_choice", type: "object" },
  { field: "metadata", type: "object" },
];

function checkMessage(message: unknown, param: string): GatewayError | null {
  if (!isRecord(message)) return invalidField(param, "an object");
  if (message.role === undefined) return missingField(`${param}.role`);
  if (!(ROLES as readonly unknown[]).includes(message.role)) {
    return invalidField(`${param}.role`, `one of ${ROLES.join(", ")}`);
  }
  const { content } = message;
  if (content === undefined) return missingField(`${param}.content`);
  if (typeof content === "string") return null;
  if (!Array.isArray(content)) return invalidField(`${param}.content`, CONTENT);
  return checkContentItems(content, `${param}.content`);
}

function checkMessages(messages: unknown): GatewayError | null {
  if (messages === undefined) return missingField("messages");
  if (!Array.isArray(messages) || messages.length === 0) return invalidField("messages", "a non-empty array");
  for (let index = 0; index < messages.length; index += 1) {
    const refused = checkMessage(messages[index], `messages[${index}]`);
    if (refused !== null) return refused;
  }
  return null;
}

function checkSystem(system: unknown): GatewayError | null {
  if (system === undefined || typeof system === "string") return null;
  if (!Array.isArray(system)) return invalidField("system", "a string or an array of text blocks");
  return checkContentItems(system, "system");
}

/** `POST /v1/messages/count_tokens`: the Messages contract without `max_tokens`. */
export function checkCountTokensRequest(body: Readonly<Record<string, unknown>>): GatewayError | null {
  return checkMessages(body.messages) ?? checkSystem(body.system) ?? checkFields(body, FIELDS);
}

export function checkMessagesRequest(body: Readonly<Record<string, unknown>>): GatewayError | null {
  const common = checkCountTokensRequest(body);
  if (common !== null) return common;
  if (body.max_tokens === undefined) return missingField("max_tokens");
  return Number.isInteger(body.max_tokens) ? null : invalidField("max_tokens", "an integer");
}
