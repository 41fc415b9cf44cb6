/**
 * @module test/wire/usage-counts
 * Every usage reader refuses counts that are not believable (fractional, negative, past 2^53 or the cap,
 * not numbers): OpenAI's and the Responses API's read them as 0, Anthropic's keeps the base, Deepgram's
 * durations read null.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
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
import { MAX_USAGE_TOKENS, readUsageCount } from "../../src/wire/read-usage-count.ts";

const UNBELIEVABLE = [1e308, 2 ** 53, 2 ** 53 + 2, MAX_USAGE_TOKENS + 1, 2.5, -1, Number.NaN, "3", null, {}];

test("a count is a whole number from 0 to the cap", () => {
  for (const value of [0, 1, 128_000, MAX_USAGE_TOKENS]) assert.equal(readUsageCount(value), value);
  for (const value of UNBELIEVABLE) assert.equal(readUsageCount(value), null, String(value));
});

test("OpenAI chat and Responses usage: an unbelievable count reads as 0, the others as sent", () => {
  for (const value of UNBELIEVABLE) {
    assert.deepEqual(
      readOpenAiUsage({
        prompt_tokens: value,
        completion_tokens: 7,
        prompt_tokens_details: { cached_tokens: value },
      }),
      { inputTokens: 0, outputTokens: 7, cachedInputTokens: 0 },
      String(value),
    );
    assert.deepEqual(
      readResponsesUsage({
        input_tokens: 5,
        output_tokens: value,
        input_tokens_details: { cached_tokens: 2 },
      }),
      { inputTokens: 5, outputTokens: 0, cachedInputTokens: 2 },
      String(value),
    );
  }
});

test("Anthropic usage: an unbelievable count keeps its base value", () => {
  const base = { inputTokens: 10, outputTokens: 1, cacheReadTokens: 5, cacheCreationTokens: 0 };
  for (const value of UNBELIEVABLE) {
    assert.deepEqual(
      readAnthropicUsage({ input_tokens: value, output_tokens: 42, cache_read_input_tokens: value }, base),
      { ...base, outputTokens: 42 },
      String(value),
    );
  }
});

test("translated usage reads counts as metering does: no Infinity or 1e308 in a translated answer", () => {
  const usage = {
    prompt_tokens: 1e308,
    completion_tokens: 1e308,
    prompt_tokens_details: { cached_tokens: 3 },
  };
  assert.deepEqual(chatUsageToResponses(usage), {
    input_tokens: 0,
    input_tokens_details: { cached_tokens: 3, cache_write_tokens: 0 },
    output_tokens: 0,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 0,
  });
  assert.deepEqual(openAiUsageToAnthropic({ prompt_tokens: 12, completion_tokens: 1e308 }), {
    input_tokens: 12,
    output_tokens: 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  });
});

test("Deepgram durations above the cap read as none", () => {
  assert.equal(readPrerecordedDuration({ metadata: { duration: MAX_AUDIO_SECONDS } }), MAX_AUDIO_SECONDS);
  assert.equal(readPrerecordedDuration({ metadata: { duration: 1e308 } }), null);
  assert.equal(readPrerecordedDuration({ metadata: { duration: MAX_AUDIO_SECONDS + 1 } }), null);
  assert.equal(readLiveDuration('{"type":"Results","start":1e308,"duration":1}'), null);
  assert.equal(readLiveDuration('{"type":"Results","start":1,"duration":1e308}'), null);
  assert.equal(readLiveDuration('{"type":"Metadata","duration":1e308}'), null);
});
