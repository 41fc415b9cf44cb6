/**
 * @module translate/openai-usage-to-anthropic
 * OpenAI's `usage` read leniently into Anthropic's counts: `input_tokens` are the prompt tokens that were
 * neither cache reads (`cached_tokens`) nor cache writes (`cache_write_tokens`, when a host reports them).
 */
import type { AnthropicUsage } from "../wire/anthropic/anthropic-types.ts";
import { meteredUsageCount } from "../wire/read-usage-count.ts";
import { isJsonObject } from "./json-object.ts";

/** A count as metering reads it (wire/read-usage-count.ts): absent or not a count reads as 0, a huge one as the cap. */
const count = (value: unknown): number => meteredUsageCount(value, 0);

export function openAiUsageToAnthropic(usage: unknown): AnthropicUsage {
  if (!isJsonObject(usage)) {
    return { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  }
  const details = isJsonObject(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const prompt = count(usage.prompt_tokens);
  const cacheRead = Math.min(count(details.cached_tokens), prompt);
  const cacheWrite = Math.min(count(details.cache_write_tokens), prompt - cacheRead);
  return {
    input_tokens: prompt - cacheRead - cacheWrite,
    output_tokens: count(usage.completion_tokens),
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
  };
}
