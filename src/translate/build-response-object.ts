/**
 * @module translate/build-response-object
 * The Response object a translated answer carries (whole, or in a stream's lifecycle events): the
 * generated output and usage, and every field OpenAI's schema requires, echoed from the client's request
 * with the API's defaults where the request left them out.
 */
import { isAbsent, isJsonObject, type JsonObject } from "./json-object.ts";
import type { ResponsesContext } from "./responses-context.ts";

export type ResponseStatus = "in_progress" | "completed" | "incomplete" | "failed";

export interface ResponseObjectParts {
  readonly status: ResponseStatus;
  readonly output: readonly JsonObject[];
  /** The Responses `usage` object, when the upstream reported usage. */
  readonly usage?: JsonObject | null;
  /** For `incomplete`: why. */
  readonly incompleteReason?: "max_output_tokens" | "content_filter";
  /** For `failed`. */
  readonly error?: { readonly code: string; readonly message: string };
  /** Seconds; set for `completed`. */
  readonly completedAt?: number;
}

const orDefault = (value: unknown, fallback: unknown): unknown => (isAbsent(value) ? fallback : value);

/** A function tool as the Response echoes it: every field the tool schema requires present. */
function echoTool(tool: unknown): unknown {
  if (!isJsonObject(tool) || tool.type !== "function") return tool;
  return {
    ...tool,
    description: orDefault(tool.description, null),
    parameters: orDefault(tool.parameters, null),
    strict: orDefault(tool.strict, null),
  };
}

function echoText(text: unknown): JsonObject {
  if (!isJsonObject(text)) return { format: { type: "text" } };
  return { ...text, format: orDefault(text.format, { type: "text" }) };
}

export function buildResponseObject(context: ResponsesContext, parts: ResponseObjectParts): JsonObject {
  const { request } = context;
  const tools = Array.isArray(request.tools) ? request.tools.map(echoTool) : [];
  const reasoning = isJsonObject(request.reasoning) ? request.reasoning : null;
  return {
    id: context.id,
    object: "response",
    created_at: context.createdAt,
    status: parts.status,
    ...(parts.completedAt === undefined ? {} : { completed_at: parts.completedAt }),
    error: parts.error === undefined ? null : { code: parts.error.code, message: parts.error.message },
    incomplete_details: parts.incompleteReason === undefined ? null : { reason: parts.incompleteReason },
    instructions: typeof request.instructions === "string" ? request.instructions : null,
    max_output_tokens: orDefault(request.max_output_tokens, null),
    model: context.model,
    output: parts.output,
    parallel_tool_calls: orDefault(request.parallel_tool_calls, true),
    previous_response_id: null,
    reasoning: reasoning === null ? null : { effort: orDefault(reasoning.effort, null), summary: null },
    temperature: orDefault(request.temperature, 1),
    text: echoText(request.text),
    tool_choice: orDefault(request.tool_choice, "auto"),
    tools,
    top_p: orDefault(request.top_p, 1),
    truncation: "disabled",
    // The schema's `usage` is an object or absent (never null): left out when the upstream reported none.
    ...(isJsonObject(parts.usage) ? { usage: parts.usage } : {}),
    ...(typeof request.user === "string" ? { user: request.user } : {}),
    metadata: isJsonObject(request.metadata) ? request.metadata : {},
  };
}
