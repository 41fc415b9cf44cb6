/**
 * @module test/wire/usage-counts
 * Every usage reader reads a count as metering charges it: floored, a huge count (1e308, Infinity, past 2^53
 * or the cap) as the cap, never as nothing (an upstream must not make a call free that way); a count that is
 * no count (negative, NaN, a string) as absent: 0 for OpenAI's and the Responses API's, the base for
 * Anthropic's. Deepgram's durations above their cap read null.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { openAiUsageToV4 } from "../../src/library/ai-sdk/openai-usage-to-v4.ts";
import { chatUsageToResponses } from "../../src/translate/chat-usage-to-responses.ts";
import { openAiUsageToAnthropic } from "../../src/translate/openai-usage-to-anthropic.ts";
import { readAnthropicUsage } from "../../src/wire/anthropic/anthropic-usage.ts";
import {
  MAX_AUDIO_SECONDS,
  readLiveDuration,
  readPrerecordedDuration,
} from "../../src/wire/deepgram/read-listen-duration.ts";
import { readOpenAiUsage } from "../../src/wire/openai/openai-usage.ts";
import { readResponsesUsage } from "../../src/wire/openai/read-responses-usage.ts";
import { MAX_USAGE_TOKENS, meteredUsageCount } from "../../src/wire/read-usage-count.ts";

const HUGE = [1e308, Number.POSITIVE_INFINITY, 2 ** 53, 2 ** 53 + 2, MAX_USAGE_TOKENS, MAX_USAGE_TOKENS + 1];
const NO_COUNT = [-1, -0.5, Number.NaN, "3", null, undefined, {}, true];

test("a count is floored, a huge one is the cap, and one that is no count is the reader's absent value", () => {
  for (const [value, read] of [
    [0, 0],
    [1, 1],
    [128_000, 128_000],
    [2.5, 2],
    [999.99, 999],
  ] as const)
    assert.equal(meteredUsageCount(value, "absent"), read);
  for (const value of HUGE) assert.equal(meteredUsageCount(value, "absent"), MAX_USAGE_TOKENS, String(value));
  for (const value of NO_COUNT) assert.equal(meteredUsageCount(value, "absent"), "absent", String(value));
});

test("OpenAI chat and Responses usage: a huge count is charged as the cap, never as 0", () => {
  for (const value of HUGE) {
    assert.deepEqual(
      readOpenAiUsage({
        prompt_tokens: value,
        completion_tokens: 7,
        prompt_tokens_details: { cached_tokens: value },
      }),
      { inputTokens: MAX_USAGE_TOKENS, outputTokens: 7, cachedInputTokens: MAX_USAGE_TOKENS },
      String(value),
    );
    assert.deepEqual(
      readResponsesUsage({
        input_tokens: 5,
        output_tokens: value,
        input_tokens_details: { cached_tokens: 2 },
      }),
      { inputTokens: 5, outputTokens: MAX_USAGE_TOKENS, cachedInputTokens: 2 },
      String(value),
    );
  }
  // A fraction is floored, as before the cap.
  assert.deepEqual(readOpenAiUsage({ prompt_tokens: 1000.5, completion_tokens: 2400.5 }), {
    inputTokens: 1000,
    outputTokens: 2400,
    cachedInputTokens: 0,
  });
  for (const value of NO_COUNT)
    assert.deepEqual(
      readOpenAiUsage({ prompt_tokens: value, completion_tokens: 7 }),
      { inputTokens: 0, outputTokens: 7, cachedInputTokens: 0 },
      String(value),
    );
});

test("Anthropic usage: a huge count is the cap; one that is no count keeps its base value", () => {
  const base = { inputTokens: 10, outputTokens: 1, cacheReadTokens: 5, cacheCreationTokens: 0 };
  for (const value of HUGE)
    assert.deepEqual(
      readAnthropicUsage({ input_tokens: value, output_tokens: 42 }, base),
      { ...base, inputTokens: MAX_USAGE_TOKENS, outputTokens: 42 },
      String(value),
    );
  for (const value of NO_COUNT)
    assert.deepEqual(
      readAnthropicUsage({ input_tokens: value, output_tokens: 42, cache_read_input_tokens: value }, base),
      { ...base, outputTokens: 42 },
      String(value),
    );
});

test("translated usage reads counts as metering does: the cap, no Infinity or 1e308, in a translated answer", () => {
  const usage = {
    prompt_tokens: 1e308,
    completion_tokens: Number.POSITIVE_INFINITY,
    prompt_tokens_details: { cached_tokens: 3 },
  };
  const responses = chatUsageToResponses(usage);
  assert.equal(responses?.input_tokens, MAX_USAGE_TOKENS);
  assert.equal(responses?.output_tokens, MAX_USAGE_TOKENS);
  assert.deepEqual(responses?.input_tokens_details, { cached_tokens: 3, cache_write_tokens: 0 });
  assert.ok(Number.isSafeInteger(responses?.total_tokens), String(responses?.total_tokens));
  assert.deepEqual(openAiUsageToAnthropic({ prompt_tokens: 12, completion_tokens: 1e308 }), {
    input_tokens: 12,
    output_tokens: MAX_USAGE_TOKENS,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  });
  const v4 = openAiUsageToV4({ prompt_tokens: 1e308, completion_tokens: "x" });
  assert.equal(v4.inputTokens.total, MAX_USAGE_TOKENS);
  assert.equal(v4.outputTokens.total, undefined);
});

test("Deepgram durations above the cap read as none", () => {
  assert.equal(readPrerecordedDuration({ metadata: { duration: MAX_AUDIO_SECONDS } }), MAX_AUDIO_SECONDS);
  assert.equal(readPrerecordedDuration({ metadata: { duration: 1e308 } }), null);
  assert.equal(readPrerecordedDuration({ metadata: { duration: MAX_AUDIO_SECONDS + 1 } }), null);
  assert.equal(readLiveDuration('{"type":"Results","start":1e308,"duration":1}'), null);
  assert.equal(readLiveDuration('{"type":"Results","start":1,"duration":1e308}'), null);
  assert.equal(readLiveDuration('{"type":"Metadata","duration":1e308}'), null);
});
