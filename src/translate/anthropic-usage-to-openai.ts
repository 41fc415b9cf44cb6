/**
 * @module translate/anthropic-usage-to-openai
 * Anthropic token counts in OpenAI's `usage` shape: prompt tokens include the cache reads and writes
 * (OpenAI's `prompt_tokens` counts every input token), reads are `cached_tokens`, writes `cache_write_tokens`.
 */
import { type AnthropicUsageCounts, totalInputTokens } from "../wire/anthropic/anthropic-usage.ts";
import type { TokenUsage } from "../wire/openai/openai-usage.ts";
import type { OpenAiUsage } from "./openai-chat-types.ts";

export function anthropicUsageToOpenAi(counts: AnthropicUsageCounts): OpenAiUsage {
  const prompt = totalInputTokens(counts);
  return {
    prompt_tokens: prompt,
    completion_tokens: counts.outputTokens,
    total_tokens: prompt + counts.outputTokens,
    prompt_tokens_details: {
      cached_tokens: counts.cacheReadTokens,
      cache_write_tokens: counts.cacheCreationTokens,
    },
  };
}

/** The counts the gateway meters (the same figures as the OpenAI usage it reports). */
export function anthropicUsageToTokenUsage(counts: AnthropicUsageCounts): TokenUsage {
  return {
    inputTokens: totalInputTokens(counts),
    outputTokens: counts.outputTokens,
    cachedInputTokens: counts.cacheReadTokens,
  };
}
