/**
 * @module translate/chat-to-responses-response
 * A whole chat completion → a Response object: the first choice's text (and refusal) as one `message`
 * item, its tool calls as `function_call` items, `length` and `content_filter` as an incomplete status.
 */
import { buildResponseObject, type ResponseObjectParts } from "./build-response-object.ts";
import { chatUsageToResponses } from "./chat-usage-to-responses.ts";
import { isAbsent, isJsonObject, type JsonObject, readString } from "./json-object.ts";
import type { ResponsesContext } from "./responses-context.ts";
import { fail, runTranslation, type Translation } from "./translation-result.ts";

/** The suffix item ids share with their response (`resp_abc` → `msg_abc_0`, `fc_abc_1`). */
export const itemIdOf = (context: ResponsesContext, prefix: "msg" | "fc", index: number): string =>
  `${prefix}_${context.id.replace(/^resp_/, "")}_${index}`;

/** `length` and `content_filter` leave the answer incomplete; every other reason completes it. */
export function incompleteReasonOf(finishReason: unknown): ResponseObjectParts["incompleteReason"] {
  if (finishReason === "length") return "max_output_tokens";
  if (finishReason === "content_filter") return "content_filter";
  return undefined;
}

function translate(completion: unknown, context: ResponsesContext, now: number): JsonObject {
  if (!isJsonObject(completion) || !Array.isArray(completion.choices))
    fail("invalid_upstream_response", "The provider's answer has no `choices`.");
  const choice = completion.choices.find((item: unknown) => isJsonObject(item) && (item.index ?? 0) === 0);
  if (!isJsonObject(choice) || !isJsonObject(choice.message))
    fail("invalid_upstream_response", "The provider's answer has no message.");
  const { message } = choice;
  const incomplete = incompleteReasonOf(choice.finish_reason);
  const itemStatus = incomplete === undefined ? "completed" : "incomplete";
  const output: JsonObject[] = [];
  const content: JsonObject[] = [];
  const text = readString(message.content);
  if (text !== null && text !== "")
    content.push({ type: "output_text", text, annotations: [], logprobs: [] });
  const refusal = readString(message.refusal);
  if (refusal !== null && refusal !== "") content.push({ type: "refusal", refusal });
  if (content.length > 0)
    output.push({
      id: itemIdOf(context, "msg", 0),
      type: "message",
      role: "assistant",
      status: itemStatus,
      content,
    });
  if (!isAbsent(message.tool_calls)) {
    if (!Array.isArray(message.tool_calls))
      fail("invalid_upstream_response", "The provider's `tool_calls` is not a list.");
    for (const call of message.tool_calls) {
      const fn = isJsonObject(call) && isJsonObject(call.function) ? call.function : null;
      const name = readString(fn?.name);
      if (!isJsonObject(call) || fn === null || name === null)
        fail("invalid_upstream_response", "The provider sent a tool call without a function name.");
      output.push({
        id: itemIdOf(context, "fc", output.length),
        type: "function_call",
        status: itemStatus,
        call_id: readString(call.id) || itemIdOf(context, "fc", output.length),
        name,
        arguments: readString(fn.arguments) ?? "",
      });
    }
  }
  return buildResponseObject(context, {
    status: incomplete === undefined ? "completed" : "incomplete",
    output,
    usage: chatUsageToResponses(completion.usage),
    ...(incomplete === undefined
      ? { completedAt: Math.max(context.createdAt, now) }
      : { incompleteReason: incomplete }),
  });
}

/** `now`: seconds since the epoch, the answer's `completed_at` (the current time by default). */
export function chatToResponsesResponse(
  completion: unknown,
  context: ResponsesContext,
  now: number = Math.floor(Date.now() / 1000),
): Translation<Record<string, unknown>> {
  return runTranslation(() => translate(completion, context, now));
}
