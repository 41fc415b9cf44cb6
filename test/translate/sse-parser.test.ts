/**
 * @module test/translate/sse-parser.test
 * The minimal SSE parser behind both stream translators: every line ending, multi-line data, comments,
 * fields without values, a BOM, and the same events whatever the chunk boundaries (UTF-8 and CRLF split).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createSseParser, type SseEvent } from "../../src/wire/anthropic/create-sse-parser.ts";
import { encodeSseEvent } from "../../src/wire/anthropic/encode-sse-event.ts";

function parse(pieces: readonly (string | Uint8Array)[]): SseEvent[] {
  const parser = createSseParser();
  return [...pieces.flatMap((piece) => parser.push(piece)), ...parser.end()];
}

const STREAM = [
  ": a comment, then a ping event",
  "event: ping",
  "data: {}",
  "",
  "event: content_block_delta",
  "id: 7",
  "data: first line",
  "data:second line without the space",
  "data",
  "retry: 1000",
  "unknown: field",
  "",
  "",
  "data: héllo 👋 wörld",
  "",
].join("\n");

const EXPECTED: SseEvent[] = [
  { event: "ping", data: "{}", id: null },
  { event: "content_block_delta", data: "first line\nsecond line without the space\n", id: "7" },
  { event: "message", data: "héllo 👋 wörld", id: "7" },
];

for (const newline of ["\n", "\r\n", "\r"]) {
  const text = STREAM.replaceAll("\n", newline);
  const label = JSON.stringify(newline);

  test(`${label} line ends: whole, as bytes, and split at every position`, () => {
    assert.deepEqual(parse([text]), EXPECTED);
    const bytes = Buffer.from(text);
    assert.deepEqual(parse([bytes]), EXPECTED);
    for (let at = 1; at < bytes.length; at++) {
      assert.deepEqual(parse([bytes.subarray(0, at), bytes.subarray(at)]), EXPECTED, `bytes split at ${at}`);
    }
    for (let at = 1; at < text.length; at++) {
      assert.deepEqual(parse([text.slice(0, at), text.slice(at)]), EXPECTED, `text split at ${at}`);
    }
    assert.deepEqual(
      parse([...bytes].map((_, at) => bytes.subarray(at, at + 1))),
      EXPECTED,
      "one byte at a time",
    );
  });
}

test("a CR at a chunk's end followed by LF in the next chunk is one line end, not two", () => {
  assert.deepEqual(parse(["data: a\r", "\ndata: b\r\n\r", "\n"]), [
    { event: "message", data: "a\nb", id: null },
  ]);
});

test("events are answered as soon as their blank line arrives", () => {
  const parser = createSseParser();
  assert.deepEqual(parser.push("data: 1\n"), []);
  assert.deepEqual(parser.push("\ndata: 2"), [{ event: "message", data: "1", id: null }]);
  assert.deepEqual(parser.push("\n\n"), [{ event: "message", data: "2", id: null }]);
  assert.deepEqual(parser.end(), []);
});

test("a last event without its blank line is dispatched at the end; data-less events are not", () => {
  assert.deepEqual(parse(["data: [DONE]"]), [{ event: "message", data: "[DONE]", id: null }]);
  assert.deepEqual(parse(["event: ping\n\n: only a comment\n\n"]), []);
});

test("a leading BOM is skipped; the event name resets after each event", () => {
  assert.deepEqual(parse(["\uFEFFevent: x\ndata: 1\n\ndata: 2\n\n"]), [
    { event: "x", data: "1", id: null },
    { event: "message", data: "2", id: null },
  ]);
  assert.deepEqual(parse([Buffer.from("\uFEFFdata: 1\n\n")]), [{ event: "message", data: "1", id: null }]);
});

test("encodeSseEvent writes what the parser reads back, multi-line data included", () => {
  assert.equal(encodeSseEvent('{"a":1}'), 'data: {"a":1}\n\n');
  assert.equal(encodeSseEvent("{}", "ping"), "event: ping\ndata: {}\n\n");
  assert.deepEqual(parse([encodeSseEvent("a\nb\r\nc", "x")]), [{ event: "x", data: "a\nb\nc", id: null }]);
});
