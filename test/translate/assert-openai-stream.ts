/**
 * @module test/translate/assert-openai-stream
 * Reads a translated OpenAI chat-completion SSE text and asserts its grammar chunk by chunk: every chunk valid
 * against OpenAI's schema, the role first, tool calls opened once (index, id, type, name, "" arguments) and
 * continued with argument fragments only, one finish_reason on the last choice chunk, the usage chunk when
 * asked, exactly one `[DONE]` last, or an `{error}` payload last and no `[DONE]`.
 */
import assert from "node:assert/strict";
import {
  assertValidChatCompletionChunk,
  assertValidErrorResponse,
  sseDataPayloads,
} from "../support/openai-schema.ts";

type Json = Record<string, unknown>;

export interface OpenAiStreamSummary {
  readonly text: string;
  readonly reasoning: string;
  readonly toolCalls: readonly { readonly id: string; readonly name: string; readonly arguments: string }[];
  readonly finishReason: string | null;
  /** The usage chunk's `usage`, when one came. */
  readonly usage: Json | null;
  /** The `error` object of an error payload, when the stream ended with one. */
  readonly error: Json | null;
  readonly chunks: readonly Json[];
}

const isJson = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export function assertOpenAiStream(
  text: string,
  options: { readonly includeUsage: boolean },
): OpenAiStreamSummary {
  for (const event of text.split("\n\n").slice(0, -1)) {
    assert.match(event, /^data: [^\n]+$/, "each OpenAI event is one data line (no event: line)");
  }
  assert.ok(text.endsWith("\n\n"), "the last event is complete");
  const payloads = sseDataPayloads(text);
  const doneCount = payloads.filter((payload) => payload === "[DONE]").length;
  const parsed = payloads
    .filter((payload) => payload !== "[DONE]")
    .map((payload) => JSON.parse(payload) as Json);
  const last = parsed.at(-1);
  const error = last !== undefined && isJson(last.error) ? last.error : null;
  if (error !== null) {
    assertValidErrorResponse(last);
    assert.equal(doneCount, 0, "no [DONE] after an error");
  } else {
    assert.equal(doneCount, 1, "exactly one [DONE]");
    assert.equal(payloads.at(-1), "[DONE]", "[DONE] comes last");
  }
  const chunks = error === null ? parsed : parsed.slice(0, -1);
  assert.ok(
    chunks.every((chunk) => !isJson(chunk.error)),
    "an error payload only comes last",
  );

  let content = "";
  let reasoning = "";
  const calls: { id: string; name: string; arguments: string }[] = [];
  let finishReason: string | null = null;
  let finishAt = -1;
  let usage: Json | null = null;
  chunks.forEach((chunk, position) => {
    assertValidChatCompletionChunk(chunk);
    const first = chunks[0] as Json;
    assert.equal(chunk.id, first.id, "one id for all chunks");
    assert.equal(chunk.created, first.created, "one created for all chunks");
    assert.equal(chunk.model, first.model, "one model for all chunks");
    assert.equal(chunk.object, "chat.completion.chunk");
    const choices = chunk.choices as Json[];
    if (choices.length === 0) {
      assert.ok(options.includeUsage, "a usage chunk only when the client asked");
      assert.equal(usage, null, "one usage chunk");
      assert.ok(
        finishAt !== -1 && position === chunks.length - 1,
        "the usage chunk follows the finish chunk, last",
      );
      assert.ok(isJson(chunk.usage), "the usage chunk carries usage");
      usage = chunk.usage;
      return;
    }
    if (options.includeUsage) assert.equal(chunk.usage, null, "usage is null on choice chunks");
    else assert.equal(chunk.usage, undefined, "no usage field when the client did not ask");
    assert.equal(choices.length, 1);
    const choice = choices[0] as Json;
    assert.equal(choice.index, 0);
    assert.equal(finishAt, -1, "no choice chunk after the finish chunk");
    const delta = choice.delta as Json;
    if (position === 0) assert.equal(delta.role, "assistant", "the first chunk carries the role");
    else assert.equal(delta.role, undefined, "only the first chunk carries the role");
    if (typeof delta.content === "string") content += delta.content;
    if (typeof delta.reasoning_content === "string") reasoning += delta.reasoning_content;
    for (const call of (delta.tool_calls as Json[] | undefined) ?? []) {
      const fn = call.function as Json;
      const index = call.index as number;
      if (index === calls.length) {
        assert.ok(typeof call.id === "string" && call.id !== "", "a tool call's first delta carries its id");
        assert.equal(call.type, "function", "a tool call's first delta carries type function");
        assert.ok(
          typeof fn.name === "string" && fn.name !== "",
          "a tool call's first delta carries its name",
        );
        assert.equal(fn.arguments, "", "a tool call opens with empty arguments");
        calls.push({ id: call.id as string, name: fn.name as string, arguments: "" });
      } else {
        assert.ok(
          index >= 0 && index < calls.length,
          `tool index ${index} was opened before (indices count up)`,
        );
        assert.equal(call.id, undefined, "later deltas carry no id");
        assert.equal(call.type, undefined, "later deltas carry no type");
        assert.equal(fn.name, undefined, "later deltas carry no name");
        assert.equal(typeof fn.arguments, "string", "later deltas carry argument fragments");
        (calls[index] as { arguments: string }).arguments += fn.arguments as string;
      }
    }
    if (choice.finish_reason !== null) {
      finishReason = choice.finish_reason as string;
      finishAt = position;
    }
  });
  if (error === null) assert.notEqual(finishReason, null, "a finish_reason ends a whole stream");
  else assert.equal(finishReason, null, "no finish_reason in a failed stream");
  if (options.includeUsage && error === null) assert.notEqual(usage, null, "the usage chunk came");
  return { text: content, reasoning, toolCalls: calls, finishReason, usage, error, chunks };
}
