/**
 * @module test/translate/assert-anthropic-stream
 * Reads a translated Anthropic Messages SSE text and asserts its event grammar: every event with its `event:`
 * line equal to `data.type`; `message_start` first; content blocks one at a time with indices counting up,
 * `text_delta` only in text blocks and `input_json_delta` only in tool_use blocks; `message_delta` with the
 * stop reason and usage, `message_stop` last; or `event: error` last.
 */
import assert from "node:assert/strict";

type Json = Record<string, unknown>;

export interface AnthropicStreamSummary {
  readonly text: string;
  readonly toolCalls: readonly { readonly id: string; readonly name: string; readonly input: string }[];
  readonly stopReason: string | null;
  readonly usage: Json | null;
  readonly error: Json | null;
  readonly events: readonly Json[];
}

export function parseAnthropicEvents(text: string): Json[] {
  assert.ok(text.endsWith("\n\n"), "the last event is complete");
  return text
    .split("\n\n")
    .slice(0, -1)
    .map((block) => {
      const match = /^event: ([a-z_]+)\ndata: ([^\n]+)$/.exec(block);
      assert.ok(match, `an event line then one data line: ${block}`);
      const data = JSON.parse(match[2] as string) as Json;
      assert.equal(data.type, match[1], "event: names data.type");
      return data;
    });
}

export function assertAnthropicStream(text: string): AnthropicStreamSummary {
  const events = parseAnthropicEvents(text);
  const first = events[0];
  assert.equal(first?.type, "message_start", "message_start comes first");
  const message = first.message as Json;
  assert.equal(message.type, "message");
  assert.equal(message.role, "assistant");
  assert.ok(typeof message.id === "string" && typeof message.model === "string");
  assert.deepEqual(message.content, []);
  assert.equal(typeof (message.usage as Json).input_tokens, "number");

  let open: { index: number; kind: string } | null = null;
  let nextIndex = 0;
  let content = "";
  const calls: { id: string; name: string; input: string }[] = [];
  const toolByIndex = new Map<number, { input: string }>();
  let stopReason: string | null = null;
  let usage: Json | null = null;
  let error: Json | null = null;
  let ended = false;
  events.slice(1).forEach((event, position) => {
    assert.ok(!ended, "nothing after message_stop or error");
    const isLast = position === events.length - 2;
    switch (event.type) {
      case "content_block_start": {
        assert.equal(open, null, "one content block at a time");
        assert.equal(event.index, nextIndex++, "block indices count up from 0");
        const block = event.content_block as Json;
        open = { index: event.index as number, kind: block.type as string };
        if (block.type === "text") assert.equal(block.text, "");
        else {
          assert.equal(block.type, "tool_use", "text or tool_use blocks");
          assert.ok(typeof block.id === "string" && block.id !== "", "a tool_use block has an id");
          assert.ok(typeof block.name === "string" && block.name !== "", "a tool_use block has a name");
          assert.deepEqual(block.input, {});
          const call = { id: block.id, name: block.name, input: "" };
          calls.push(call);
          toolByIndex.set(event.index as number, call);
        }
        return;
      }
      case "content_block_delta": {
        assert.ok(open !== null && event.index === open.index, "deltas belong to the open block");
        const delta = event.delta as Json;
        if (open.kind === "text") {
          assert.equal(delta.type, "text_delta");
          assert.ok(typeof delta.text === "string" && delta.text !== "");
          content += delta.text;
        } else {
          assert.equal(delta.type, "input_json_delta");
          assert.equal(typeof delta.partial_json, "string");
          (toolByIndex.get(open.index) as { input: string }).input += delta.partial_json as string;
        }
        return;
      }
      case "content_block_stop":
        assert.ok(open !== null && event.index === open.index, "content_block_stop closes the open block");
        open = null;
        return;
      case "message_delta": {
        assert.equal(open, null, "every block is closed before message_delta");
        assert.equal(stopReason, null, "one message_delta");
        const delta = event.delta as Json;
        assert.equal(typeof delta.stop_reason, "string");
        assert.equal(delta.stop_sequence, null);
        stopReason = delta.stop_reason as string;
        usage = event.usage as Json;
        return;
      }
      case "message_stop":
        assert.notEqual(stopReason, null, "message_delta comes before message_stop");
        assert.ok(isLast, "message_stop comes last");
        ended = true;
        return;
      case "error": {
        assert.ok(isLast, "an error event comes last");
        const body = event.error as Json;
        assert.equal(typeof body.type, "string");
        assert.equal(typeof body.message, "string");
        error = body;
        ended = true;
        return;
      }
      case "ping":
        return;
      default:
        assert.fail(`unexpected event ${String(event.type)}`);
    }
  });
  assert.ok(ended, "the stream ends with message_stop or error");
  return { text: content, toolCalls: calls, stopReason, usage, error, events };
}
