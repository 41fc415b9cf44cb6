/**
 * @module translate/responses-to-chat-request
 * An OpenAI Responses request → an OpenAI chat-completions request (stateless): instructions and input
 * items become messages, function tools and tool_choice their chat shapes, `text.format` the response
 * format; what needs server-side state or built-in tools is refused with the field at fault.
 */
import { isAbsent, isJsonObject, type JsonObject, readString } from "./json-object.ts";
import { responsesInputToChatMessages } from "./responses-input-to-chat-messages.ts";
import { fail, runTranslation, type Translation } from "./translation-result.ts";

export interface ResponsesToChatRequestOptions {
  /** The upstream model (the route's). */
  readonly model: string;
  /** Where `max_output_tokens` goes: OpenAI's own API reads `max_completion_tokens`, most hosts `max_tokens`. */
  readonly maxTokensField?: "max_tokens" | "max_completion_tokens";
}

/** Fields passed to the chat request under the same name and meaning. */
const SAME_NAME = [
  "temperature",
  "top_p",
  "parallel_tool_calls",
  "user",
  "safety_identifier",
  "prompt_cache_key",
  "service_tier",
  "stream",
] as const;

const STATEFUL_REASON = "a translated route is stateless: nothing is stored between calls";

function refuseStateful(body: Readonly<JsonObject>): void {
  if (!isAbsent(body.previous_response_id))
    fail(
      "unsupported_parameter",
      `\`previous_response_id\` is not supported on this route (${STATEFUL_REASON}); send the earlier turns in \`input\`.`,
      "previous_response_id",
    );
  if (body.store === true)
    fail(
      "unsupported_parameter",
      `\`store: true\` is not supported on this route (${STATEFUL_REASON}); send \`store: false\` or leave it out.`,
      "store",
    );
  if (!isAbsent(body.conversation))
    fail(
      "unsupported_parameter",
      `\`conversation\` is not supported on this route (${STATEFUL_REASON}); send the earlier turns in \`input\`.`,
      "conversation",
    );
  if (body.background === true)
    fail(
      "unsupported_parameter",
      `\`background: true\` is not supported on this route (${STATEFUL_REASON}).`,
      "background",
    );
  if (!isAbsent(body.prompt))
    fail(
      "unsupported_parameter",
      `\`prompt\` (a stored prompt template) is not supported on this route (${STATEFUL_REASON}).`,
      "prompt",
    );
}

function convertTool(tool: unknown, index: number): JsonObject {
  const param = `tools[${index}]`;
  if (!isJsonObject(tool)) fail("invalid_value", "A tool must be an object.", param);
  if (tool.type !== "function")
    fail(
      "unsupported_parameter",
      `Built-in tool \`${String(tool.type)}\` is not available on this route: only \`function\` tools are translated to Chat Completions.`,
      `${param}.type`,
    );
  const name = readString(tool.name);
  if (name === null || name === "") fail("invalid_value", "A function tool needs a `name`.", `${param}.name`);
  const description = readString(tool.description);
  return {
    type: "function",
    function: {
      name,
      ...(description === null ? {} : { description }),
      ...(isJsonObject(tool.parameters) ? { parameters: tool.parameters } : {}),
      ...(typeof tool.strict === "boolean" ? { strict: tool.strict } : {}),
    },
  };
}

function convertToolChoice(choice: unknown): unknown {
  if (choice === "auto" || choice === "none" || choice === "required") return choice;
  if (isJsonObject(choice) && choice.type === "function") {
    const name = readString(choice.name);
    if (name === null || name === "")
      fail("invalid_value", "A function `tool_choice` needs a `name`.", "tool_choice.name");
    return { type: "function", function: { name } };
  }
  return fail(
    "unsupported_parameter",
    '`tool_choice` may be `auto`, `none`, `required` or `{type: "function", name}` on this route.',
    "tool_choice",
  );
}

function convertTextFormat(text: unknown): JsonObject | null {
  if (isAbsent(text)) return null;
  if (!isJsonObject(text)) return fail("invalid_value", "`text` must be an object.", "text");
  const format = text.format;
  if (isAbsent(format)) return null;
  if (!isJsonObject(format)) return fail("invalid_value", "`text.format` must be an object.", "text.format");
  switch (format.type) {
    case "text":
      return null;
    case "json_object":
      return { type: "json_object" };
    case "json_schema": {
      const name = readString(format.name);
      if (name === null || name === "")
        fail("invalid_value", "A `json_schema` format needs a `name`.", "text.format.name");
      if (!isJsonObject(format.schema))
        fail("invalid_value", "A `json_schema` format needs a `schema` object.", "text.format.schema");
      const description = readString(format.description);
      return {
        type: "json_schema",
        json_schema: {
          name,
          schema: format.schema,
          ...(description === null ? {} : { description }),
          ...(typeof format.strict === "boolean" ? { strict: format.strict } : {}),
        },
      };
    }
    default:
      return fail(
        "unsupported_parameter",
        `\`text.format.type\` \`${String(format.type)}\` is not supported on this route.`,
        "text.format.type",
      );
  }
}

function convertReasoning(reasoning: unknown): string | null {
  if (isAbsent(reasoning)) return null;
  if (!isJsonObject(reasoning)) return fail("invalid_value", "`reasoning` must be an object.", "reasoning");
  if (isAbsent(reasoning.effort)) return null;
  const effort = readString(reasoning.effort);
  if (effort === null)
    return fail("invalid_value", "`reasoning.effort` must be a string.", "reasoning.effort");
  return effort;
}

function translate(body: Readonly<JsonObject>, options: ResponsesToChatRequestOptions): JsonObject {
  refuseStateful(body);
  const out: JsonObject = { model: options.model };
  out.messages = responsesInputToChatMessages(body.input, body.instructions);
  if (!isAbsent(body.tools)) {
    if (!Array.isArray(body.tools)) fail("invalid_value", "`tools` must be an array.", "tools");
    if (body.tools.length > 0) out.tools = body.tools.map(convertTool);
  }
  if (!isAbsent(body.tool_choice)) out.tool_choice = convertToolChoice(body.tool_choice);
  const format = convertTextFormat(body.text);
  if (format !== null) out.response_format = format;
  if (!isAbsent(body.max_output_tokens))
    out[options.maxTokensField ?? "max_completion_tokens"] = body.max_output_tokens;
  const effort = convertReasoning(body.reasoning);
  if (effort !== null) out.reasoning_effort = effort;
  for (const field of SAME_NAME) if (!isAbsent(body[field])) out[field] = body[field];
  return out;
}

export function responsesToChatRequest(
  body: Readonly<Record<string, unknown>>,
  options: ResponsesToChatRequestOptions,
): Translation<{ readonly body: Record<string, unknown> }> {
  return runTranslation(() => ({ body: translate(body, options) }));
}
