/**
 * @module wire/openai/normalize-chat-completion
 * Fills the fields OpenAI's schema requires that lenient OpenAI-compatible upstreams omit (`logprobs`,
 * `message.refusal`, `message.content`, a tool call's `type`), in place; values present are never changed.
 * Says whether it changed anything, so a conforming answer is relayed as the upstream's own text.
 */

type Json = Record<string, unknown>;

export type NormalizeOutcome = "invalid" | "unchanged" | "changed";

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Sets `field` when it is missing; true when it did. */
function fill(target: Json, field: string, value: unknown): boolean {
  if (target[field] !== undefined) return false;
  target[field] = value;
  return true;
}

function normalizeMessage(message: Json): boolean {
  let changed = fill(message, "role", "assistant");
  changed = fill(message, "content", null) || changed;
  changed = fill(message, "refusal", null) || changed;
  if (Array.isArray(message.tool_calls)) {
    if (message.tool_calls.length === 0) {
      delete message.tool_calls;
      return true;
    }
    for (const call of message.tool_calls)
      if (isObject(call)) changed = fill(call, "type", "function") || changed;
  }
  return changed;
}

/** Normalizes a parsed `chat.completion` body in place. */
export function normalizeChatCompletion(body: unknown, fallbackModel: string): NormalizeOutcome {
  if (!isObject(body) || !Array.isArray(body.choices)) return "invalid";
  let changed = fill(body, "object", "chat.completion");
  if (typeof body.id !== "string") {
    body.id = `chatcmpl-${Date.now().toString(36)}`;
    changed = true;
  }
  if (typeof body.created !== "number") {
    body.created = Math.floor(Date.now() / 1000);
    changed = true;
  }
  if (typeof body.model !== "string") {
    body.model = fallbackModel;
    changed = true;
  }
  body.choices.forEach((choice: unknown, position: number) => {
    if (!isObject(choice)) return;
    if (typeof choice.index !== "number") {
      choice.index = position;
      changed = true;
    }
    changed = fill(choice, "logprobs", null) || changed;
    if (isObject(choice.message)) changed = normalizeMessage(choice.message) || changed;
    if (typeof choice.finish_reason !== "string") {
      const message = choice.message as Json | undefined;
      choice.finish_reason = Array.isArray(message?.tool_calls) ? "tool_calls" : "stop";
      changed = true;
    }
  });
  return changed ? "changed" : "unchanged";
}
