/**
 * @module test/wire/is-close-stream
 * Which client text frames count as Deepgram's CloseStream: the canonical message (spaces allowed), and no
 * other spelling a lenient parser might read the same way (the gateway then sends its own when the client leaves).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { isCloseStream } from "../../src/wire/deepgram/is-close-stream.ts";

const closes = (text: string) => isCloseStream(Buffer.from(text));

test("the canonical CloseStream, as the SDKs send it, with or without spaces", () => {
  for (const text of ['{"type":"CloseStream"}', '{ "type": "CloseStream" }', '\n{"type" :"CloseStream"}\n'])
    assert.equal(closes(text), true, text);
});

test("every other frame: another message, a second type, more members, values a strict parser refuses", () => {
  for (const text of [
    '{"type":"KeepAlive"}',
    '{"type":"Finalize"}',
    '{"type":"KeepAlive","note":"CloseStream"}',
    '{"type":"KeepAlive","type":"CloseStream"}',
    '{"type":"CloseStream","type":"KeepAlive"}',
    '{"type":"CloseStream","n":1e400}',
    '{"type":"CloseStream","s":"\\ud800"}',
    '{"type":"Close\\u0053tream"}',
    '["CloseStream"]',
    "CloseStream",
    `{"type":"CloseStream"}${" ".repeat(64)}`,
  ])
    assert.equal(closes(text), false, text);
});
