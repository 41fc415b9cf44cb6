/**
 * @module test/wire/event-template
 * The byte template of the normalizer's fast path (seeded properties): an event that differs from the
 * template only in the text of its open keys matches, whatever the text (escapes, quotes, Unicode); and a
 * match is sound: once parsed, the candidate equals the template everywhere but in those strings.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { learnEventTemplate } from "../../src/wire/openai/event-template.ts";

const SEED = 1415;
const OPEN = ["content", "obfuscation"].map((key) => Buffer.from(key));
type Json = Record<string, unknown>;

const chunk = (content: string, obfuscation: string, extra: Json = {}) => ({
  id: "chatcmpl-1",
  object: "chat.completion.chunk",
  created: 1,
  model: "m",
  choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }],
  usage: null,
  obfuscation,
  ...extra,
});
const event = (value: unknown) => Buffer.from(`data: ${JSON.stringify(value)}\n\n`);

/** The value with the open keys' strings blanked. */
function blank(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(blank);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, member]) => [
      key,
      (key === "content" || key === "obfuscation") && typeof member === "string" ? "" : blank(member),
    ]),
  );
}

test(`property (seeded ${SEED}): another text in the open keys matches, whatever it holds`, () => {
  const template = learnEventTemplate(event(chunk("Hello", "ab12")), OPEN);
  assert.ok(template !== null);
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), fc.string(), (content, obfuscation) => {
      assert.equal(template.matches(event(chunk(content, obfuscation))), true);
    }),
    { seed: SEED, numRuns: 500 },
  );
});

const MUTATIONS: ReadonlyArray<fc.Arbitrary<Json>> = [
  fc.constant({ choices: [{ index: 1, delta: { content: "x" }, logprobs: null, finish_reason: null }] }),
  fc.constant({ choices: [{ index: 0, delta: { content: "x" }, logprobs: null, finish_reason: "stop" }] }),
  fc.constant({
    choices: [{ index: 0, delta: { role: "user", content: "x" }, logprobs: null, finish_reason: null }],
  }),
  fc.constant({ created: 2 }),
  fc.constant({ model: "other" }),
  fc.constant({ usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }),
  fc.string().map((text) => ({ note: text })),
  fc.string({ minLength: 1 }).map((text) => ({ id: text })),
];

test(`property (seeded ${SEED}): a match is sound, so what changes more than the text never matches`, () => {
  const template = learnEventTemplate(event(chunk("Hello", "ab12")), OPEN);
  assert.ok(template !== null);
  const base = blank(chunk("", "")) as Json;
  fc.assert(
    fc.property(fc.oneof(...MUTATIONS), fc.string(), fc.string(), (extra, content, obfuscation) => {
      const candidate = chunk(content, obfuscation, extra);
      const matched = template.matches(event(candidate));
      const same = JSON.stringify(blank(candidate)) === JSON.stringify(base);
      assert.equal(matched, same, JSON.stringify(candidate));
    }),
    { seed: SEED, numRuns: 500 },
  );
});

test("bytes cut short, an unclosed string or trailing bytes never match", () => {
  const bytes = event(chunk("Hello", "ab12"));
  const template = learnEventTemplate(bytes, OPEN);
  assert.ok(template !== null);
  assert.equal(template.matches(bytes), true);
  for (let length = 0; length < bytes.length; length++)
    assert.equal(template.matches(bytes.subarray(0, length)), false, `cut at ${length}`);
  assert.equal(template.matches(Buffer.concat([bytes, Buffer.from("x")])), false);
  assert.equal(learnEventTemplate(Buffer.from('data: {"content":"open'), OPEN), null);
});

test("an open integer (a Responses event's sequence_number) matches any JSON integer, and nothing else", () => {
  const responsesDelta = (sequence: string, delta: string) =>
    Buffer.from(
      `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":${sequence},"item_id":"msg_1","delta":"${delta}"}\n\n`,
    );
  const template = learnEventTemplate(
    responsesDelta("3", "a"),
    [Buffer.from("delta")],
    [Buffer.from("sequence_number")],
  );
  assert.ok(template !== null);
  for (const sequence of ["0", "4", "10", "123456789012345"])
    assert.equal(template.matches(responsesDelta(sequence, "b")), true, sequence);
  for (const sequence of ["03", "-1", "3.5", "1e3", "", "1234567890123456", '"3"', "null"])
    assert.equal(template.matches(responsesDelta(sequence, "b")), false, sequence);
  // Without the key named, the number is fixed bytes like any other value.
  const fixed = learnEventTemplate(responsesDelta("3", "a"), [Buffer.from("delta")]);
  assert.equal(fixed?.matches(responsesDelta("3", "b")), true);
  assert.equal(fixed?.matches(responsesDelta("4", "b")), false);
});
