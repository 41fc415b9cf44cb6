/**
 * @module wire/openai/normalize-chat-completion
 * Fills the fields OpenAI's schema requires that lenient OpenAI-compatible upstreams omit (`logprobs`,
 * `message.refusal`, `message.content`, a tool call's `type`), in place; values present are never changed.
 */

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function normalizeMessage(message: Json): void {
  message.role ??= "assistant";
  if (message.content === undefined) message.content = null;
  if (message.refusal === undefined) message.refusal = null;
  if (Array.isArray(message.tool_calls)) {
    if (message.tool_calls.length === 0) delete message.tool_calls;
    else for (const call of message.tool_calls) if (isObject(call)) call.type ??= "function";
  }
}

/** Normalizes a parsed `chat.completion` body; returns false when it is not one at all. */
export function normalizeChatCompletion(body: unknown, fallbackModel: string): boolean {
  if (!isObject(body) || !Array.isArray(body.choices)) return false;
  body.object ??= "chat.completion";
  if (typeof body.id !== "string") body.id = `chatcmpl-${Date.now().toString(36)}`;
  if (typeof body.created !== "number") body.created = Math.floor(Date.now() / 1000);
  if (typeof body.model !== "string") body.model = fallbackModel;
  body.choices.forEach((choice: unknown, position: number) => {
    if (!isObject(choice)) return;
    if (typeof choice.index !== "number") choice.index = position;
    if (choice.logprobs === undefined) choice.logprobs = null;
    if (isObject(choice.message)) normalizeMessage(choice.message);
    if (typeof choice.finish_reason !== "string") {
      const message = choice.message as Json | undefined;
      choice.finish_reason = Array.isArray(message?.tool_calls) ? "tool_calls" : "stop";
    }
  });
  return true;
}
