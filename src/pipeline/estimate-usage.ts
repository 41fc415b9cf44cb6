/**
 * @module pipeline/estimate-usage
 * The usage of a call the provider reported none for, from the text seen (marked estimated where used).
 */
import { estimateTokens } from "../wire/openai/count-delta-text.ts";
import type { TokenUsage } from "../wire/openai/openai-usage.ts";

export function estimate(requestJson: string, textBytes: number): TokenUsage {
  return {
    inputTokens: estimateTokens(requestJson.length),
    outputTokens: estimateTokens(textBytes),
    cachedInputTokens: 0,
  };
}
