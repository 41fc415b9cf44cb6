/**
 * @module test/wire/usage-only-chunk
 * The byte check that clears a usage-only chunk (create-chunk-normalizer.ts `passes`): only OpenAI's own
 * layout with the stream's id, created and model, `"choices":[]` and the three counts as whole numbers,
 * each key once; anything else is parsed and, when it needs it, repaired.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createChunkNormalizer } from "../../src/wire/openai/create-chunk-normalizer.ts";

const PREFIX = '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m"';
const first = Buffer.from(
  `data: ${PREFIX},"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}\n\n`,
);
const usage = (rest: string) => Buffer.from(`data: ${PREFIX}${rest}\n\n`);

function normalizer() {
  const created = createChunkNormalizer({ fallbackModel: "m" });
  const parsed = JSON.parse(first.toString().slice(6)) as Record<string, unknown>;
  created.normalize(parsed); // the first chunk: the stream's id, created and model learned
  return created;
}

test("a conforming usage-only chunk passes as it is", () => {
  const check = normalizer();
  for (const rest of [
    ',"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":50,"total_tokens":59}}',
    ',"system_fingerprint":"fp","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":5,"total_tokens":14,"prompt_tokens_details":{"cached_tokens":2}}}',
  ])
    assert.equal(check.passes(usage(rest)), true, rest);
});

test("a usage-only chunk that may need a repair is left to the parser", () => {
  const check = normalizer();
  for (const rest of [
    ',"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":50}}', // no total
    ',"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":5.5,"total_tokens":14}}',
    ',"choices":[],"usage":{"prompt_tokens":-1,"completion_tokens":5,"total_tokens":4}}',
    ',"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":5,"total_tokens":14,"prompt_tokens":"x"}}',
    ',"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":5,"total_tokens":1400000000000}}',
    ',"choices":[],"usage":{"completion_tokens":5,"prompt_tokens":9,"total_tokens":14}}', // another layout
    ',"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":5,"total_tokens":14},"usage":null}',
    ',"choices":[],"choices":{},"usage":{"prompt_tokens":9,"completion_tokens":5,"total_tokens":14}}',
    ',"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":5,"total_tokens":14},"id":"other"}',
    // A later duplicate of a prefix key is the one a parser keeps: parsed and repaired (review finding).
    ',"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":5,"total_tokens":14},"model":"other"}',
    ',"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":5,"total_tokens":14},"object":"x"}',
    ',"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":5,"total_tokens":14},"created":-1}',
    ',"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":5,"total_tokens":14',
  ])
    assert.equal(check.passes(usage(rest)), false, rest);
  const other = Buffer.from(
    'data: {"id":"d","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":5,"total_tokens":14}}\n\n',
  );
  assert.equal(check.passes(other), false, "another stream's id");
});

test("before the stream's first chunk nothing passes unparsed", () => {
  const check = createChunkNormalizer({ fallbackModel: "m" });
  assert.equal(
    check.passes(usage(',"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":5,"total_tokens":14}}')),
    false,
  );
});

test("a content chunk that repeats a prefix key is left to the parser, which keeps the stream's values", () => {
  const check = normalizer();
  const content = (extra: string) =>
    Buffer.from(
      `data: ${PREFIX},"choices":[{"index":0,"delta":{"content":"more"},"finish_reason":null}]${extra}}\n\n`,
    );
  assert.equal(check.passes(content("")), true, "the plain continuation passes");
  for (const extra of [',"model":"other"', ',"object":"x"', ',"created":2']) {
    assert.equal(check.passes(content(extra)), false, extra);
    const parsed = JSON.parse(content(extra).toString().slice(6)) as Record<string, unknown>;
    check.normalize(parsed);
    assert.deepEqual([parsed.model, parsed.object, parsed.created], ["m", "chat.completion.chunk", 1], extra);
  }
});
