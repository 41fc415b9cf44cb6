/**
 * @module test/wire/sse-parser-bounds
 * The Anthropic-side SSE parser (used by both translators) is bounded: the event being read never holds
 * more than its cap (checked before the bytes are kept), crossing it or a line that is no SSE field (in
 * strict mode) gives one `problem` event and the parser reads nothing more.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createSseParser } from "../../src/wire/anthropic/create-sse-parser.ts";

test("a partial line that would pass the cap is refused before it is held; nothing is read after", () => {
  const parser = createSseParser({ maxEventChars: 100 });
  assert.deepEqual(parser.push(`data: ${"x".repeat(60)}`), []);
  const events = parser.push("y".repeat(60));
  assert.equal(events.length, 1);
  assert.equal(events[0]?.problem, "too_large");
  assert.deepEqual(parser.push("\n\ndata: {}\n\n"), [], "stopped");
  assert.deepEqual(parser.end(), []);
});

test("multi-line data counts toward the cap too; an event within it is dispatched as before", () => {
  const parser = createSseParser({ maxEventChars: 100 });
  assert.deepEqual(parser.push(`data: ${"a".repeat(40)}\ndata: ${"b".repeat(40)}\n\n`), [
    { event: "message", data: `${"a".repeat(40)}\n${"b".repeat(40)}`, id: null },
  ]);
  const events = parser.push(`data: ${"a".repeat(50)}\ndata: ${"b".repeat(50)}\n`);
  assert.equal(events.at(-1)?.problem, "too_large");
});

test("strict mode: a line that is no SSE field is malformed; lenient mode skips it as EventSource does", () => {
  const strict = createSseParser({ strict: true });
  assert.equal(strict.push("garbage\n\n").at(-1)?.problem, "malformed");
  const lenient = createSseParser();
  assert.deepEqual(lenient.push("garbage\ndata: 1\n\n"), [{ event: "message", data: "1", id: null }]);
  const fields = createSseParser({ strict: true });
  assert.deepEqual(fields.push(": comment\nretry: 5\nid: 7\nevent: e\ndata: 1\n\n"), [
    { event: "e", data: "1", id: "7" },
  ]);
});
