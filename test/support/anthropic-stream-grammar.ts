/**
 * @module test/support/anthropic-stream-grammar
 * Asserts a Messages stream follows Anthropic's event grammar (docs.anthropic.com, "Streaming Messages"):
 * `message_start` first with a whole message, content blocks one at a time with indexes 0, 1, 2…, each
 * delta and stop for the open block, `message_delta` (with usage) after every block closed, `message_stop` last.
 */
import assert from "node:assert/strict";
import type { SseEvent } from "./anthropic-gateway.ts";

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export function assertAnthropicGrammar(events: readonly SseEvent[]): void {
  assert.ok(events.length > 0, "events");
  let open: number | null = null;
  let next = 0;
  let started = false;
  let ended = false;
  for (const [position, { event, data }] of events.entries()) {
    const where = `event ${position} ${JSON.stringify(data)}`;
    assert.ok(isObject(data) && typeof data.type === "string", where);
    assert.equal(event, data.type, `the event name is the data's type: ${where}`);
    assert.ok(!ended, `nothing after message_stop: ${where}`);
    if (data.type === "ping") continue;
    if (!started) {
      assert.equal(data.type, "message_start", where);
      const message = data.message;
      assert.ok(isObject(message), where);
      assert.equal(typeof message.id, "string", where);
      assert.equal(message.type, "message", where);
      assert.equal(message.role, "assistant", where);
      assert.equal(typeof message.model, "string", where);
      assert.deepEqual(message.content, [], where);
      assert.equal(message.stop_reason, null, where);
      assert.ok("stop_sequence" in message, where);
      assert.ok(isObject(message.usage) && typeof message.usage.input_tokens === "number", where);
      assert.equal(typeof message.usage.output_tokens, "number", where);
      started = true;
      continue;
    }
    switch (data.type) {
      case "content_block_start":
        assert.equal(open, null, `a block starts only when none is open: ${where}`);
        assert.equal(data.index, next, `block indexes run 0, 1, 2…: ${where}`);
        assert.ok(isObject(data.content_block), where);
        if (data.content_block.type === "tool_use") assert.ok(isObject(data.content_block.input), where);
        if (data.content_block.type === "text") assert.equal(typeof data.content_block.text, "string", where);
        open = next++;
        break;
      case "content_block_delta":
        assert.equal(data.index, open, `a delta goes to the open block: ${where}`);
        break;
      case "content_block_stop":
        assert.equal(data.index, open, `a stop closes the open block: ${where}`);
        open = null;
        break;
      case "message_delta":
        assert.equal(open, null, `message_delta after every block closed: ${where}`);
        assert.ok(isObject(data.delta) && "stop_reason" in data.delta, where);
        assert.ok(isObject(data.usage) && typeof data.usage.output_tokens === "number", where);
        break;
      case "message_stop":
        assert.equal(open, null, where);
        ended = true;
        break;
      default:
        assert.fail(`unexpected event: ${where}`);
    }
  }
}
