/**
 * @module test/wire/redact-sse-event
 * Redaction of one SSE event from its parsed shape (review findings 2, 3): keys hidden behind JSON escapes,
 * in member names, in comments or the event name are found; a rewritten event always parses; an event with
 * nothing to redact is left to pass as its original bytes (null).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { redactKeysInPlay, redactSecrets } from "../../src/keys/redact-secrets.ts";
import { SecretKey } from "../../src/keys/secret-key.ts";
import { redactJsonStrings } from "../../src/wire/redact-json-strings.ts";
import { redactSseEvent } from "../../src/wire/redact-sse-event.ts";

const KEY = "sk-test-operator-0123456789abcdef";
const secrets = [new SecretKey(KEY)];
const redact = (text: string) => redactSecrets(text, secrets);
const run = (event: string) => redactSseEvent(Buffer.from(event), redact);

/** The event's data, parsed as a client would. */
function dataOf(event: string): unknown {
  const lines = event.split("\n").filter((line) => line.startsWith("data: "));
  assert.equal(lines.length, 1, event);
  return JSON.parse(lines[0]!.slice(6));
}

test("an escaped member name and an escaped key character are redacted as decoded", () => {
  const escaped = `${KEY.slice(0, 3)}\\u${KEY.charCodeAt(3).toString(16).padStart(4, "0")}${KEY.slice(4)}`;
  const out = run(`data: {"\\u0065rror":{"message":"bad key ${escaped}"}}\n\n`);
  assert.ok(out !== null);
  assert.deepEqual(dataOf(out), { error: { message: "bad key [redacted]" } });
  assert.ok(!out.includes("\\[redacted]"));
});

test("a key in a member name, a comment or the event name is removed; the event: line is kept", () => {
  const out = run(`event: ping ${KEY}\n: note ${KEY}\nid: 7\ndata: {"${KEY}":1,"type":"ping"}\n\n`);
  assert.ok(out !== null);
  assert.ok(!out.includes(KEY), out);
  assert.match(out, /^event: ping \[redacted\]\ndata: /);
  assert.deepEqual(dataOf(out), { "[redacted]": 1, type: "ping" });
});

test("nothing to redact: null (the original bytes pass), escapes and all", () => {
  assert.equal(run('data: {"choices":[],"note":"caf\\u00e9"}\n\n'), null);
  assert.equal(run('event: ping\ndata: {"type":"ping"}\n\n'), null);
  assert.equal(run(": keep-alive\n\n"), null);
});

test("multi-line data is joined, parsed and written back as one data: line", () => {
  const out = run(`data: {"error":\ndata: {"message":"${KEY}"}}\n\n`);
  assert.ok(out !== null);
  assert.deepEqual(dataOf(out), { error: { message: "[redacted]" } });
});

test("a __proto__ member stays a member of the redacted value", () => {
  const parsed: unknown = JSON.parse(`{"__proto__":{"k":"${KEY}"},"a":["${KEY}",1,null]}`);
  const { value, changed } = redactJsonStrings(parsed, redact);
  assert.equal(changed, true);
  assert.equal(JSON.stringify(value), '{"__proto__":{"k":"[redacted]"},"a":["[redacted]",1,null]}');
});

test("content loses only the keys in play; an error event (named, an error payload, or not JSON) also key-shaped tokens", () => {
  const content = (text: string) => redactKeysInPlay(text, secrets);
  const both = (event: string) => redactSseEvent(Buffer.from(event), content, redact);
  const id = "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT";
  const words = "skeptical caf\\u00e9 123e4567-e89b-12d3-a456-426614174000";
  // Parsed for its escape and its "error" word, nothing to redact: left as its bytes.
  assert.equal(both(`data: {"id":"${id}","choices":[{"delta":{"content":"${words} error"}}]}\n\n`), null);
  const quoting = both(`data: {"id":"${id}","choices":[{"delta":{"content":"${words} ${KEY}"}}]}\n\n`);
  assert.ok(quoting !== null);
  assert.deepEqual(dataOf(quoting), {
    id,
    choices: [{ delta: { content: "skeptical café 123e4567-e89b-12d3-a456-426614174000 [redacted]" } }],
  });
  const foreign = "sk-proj-someoneElsesKey0123456789";
  for (const event of [
    `data: {"error":{"message":"bad key ${foreign}"}}\n\n`,
    `event: error\ndata: {"type":"error","error":{"type":"x","message":"bad key ${foreign}"}}\n\n`,
    `data: {"type":"response.failed","response":{"error":{"message":"bad key ${foreign}"}}}\n\n`,
    `data: bad key ${foreign}\n\n`,
  ]) {
    const out = both(event);
    assert.ok(out !== null && !out.includes(foreign) && out.includes("[redacted]"), event);
  }
});
