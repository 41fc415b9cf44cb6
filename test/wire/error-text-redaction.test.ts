/**
 * @module test/wire/error-text-redaction
 * Which upstream text is error text (losing key-shaped tokens too) in an SSE event and a whole answer: one
 * the dialect's content shape rejects, a `finish_reason` of `"error"`, the subtree under a nested `error`
 * member, a Gemini-style array; the rest of content loses only the keys in play.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { redactKeysInPlay, redactSecrets } from "../../src/keys/redact-secrets.ts";
import { SecretKey } from "../../src/keys/secret-key.ts";
import { redactWholeAnswer } from "../../src/pipeline/redact-whole-answer.ts";
import { isErrorText } from "../../src/wire/is-error-payload.ts";
import { redactSseEvent } from "../../src/wire/redact-sse-event.ts";

const secrets = [new SecretKey("sk-user-in-play-0123456789abcdefWXYZ")];
const OTHER = "sk-proxy-upstream-9876543210zyxw";
const content = (text: string) => redactKeysInPlay(text, secrets);
const error = (text: string) => redactSecrets(text, secrets);
const hasChoices = (value: unknown) =>
  typeof value === "object" && value !== null && Array.isArray((value as { choices?: unknown }).choices);
const run = (data: string) => redactSseEvent(Buffer.from(`data: ${data}\n\n`), content, error, hasChoices);

test("an event of no content shape is error text", () => {
  assert.equal(run(`{"detail":"bad key ${OTHER}"}`), 'data: {"detail":"bad key [redacted]"}\n\n');
  assert.equal(isErrorText([{ error: { message: "x" } }], hasChoices), true);
});

test("a finish_reason of error makes the whole event error text", () => {
  const out = run(`{"choices":[{"delta":{"content":"${OTHER}"},"finish_reason":"error"}]}`);
  assert.ok(out !== null && !out.includes(OTHER), String(out));
});

test("a nested error member is error text; the content beside it loses only the keys in play", () => {
  const out = run(
    `{"choices":[{"delta":{"content":"${OTHER}"},"finish_reason":null,"x":{"error":{"m":"${OTHER}"}}}]}`,
  );
  assert.ok(out !== null);
  const parsed = JSON.parse(out.slice(6)) as {
    choices: Array<{ delta: { content: string }; x: { error: { m: string } } }>;
  };
  assert.equal(parsed.choices[0]?.delta.content, OTHER);
  assert.equal(parsed.choices[0]?.x.error.m, "[redacted]");
});

test("a conforming event with a key-shaped token and no error is left as received", () => {
  assert.equal(
    run(`{"id":"${OTHER}","choices":[{"delta":{"content":"skeptical"},"finish_reason":"stop"}]}`),
    null,
  );
});

test("whole answers: a Gemini-style array and a detail lose key-shaped tokens; content keeps its ids", () => {
  for (const body of [`[{"error":{"message":"${OTHER}"}}]`, `{"detail":"${OTHER}"}`])
    assert.ok(!redactWholeAnswer(body, JSON.parse(body), secrets).includes(OTHER), body);
  const answer = `{"id":"${OTHER}","choices":[{"message":{"content":"no \\"error\\""},"finish_reason":"stop"}]}`;
  assert.equal(redactWholeAnswer(answer, JSON.parse(answer), secrets), answer);
});
