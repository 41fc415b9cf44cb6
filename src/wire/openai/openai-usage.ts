/**
 * @module wire/openai/openai-usage
 * The token counts the gateway meters, read leniently from OpenAI's `usage` object.
 */
import { meteredUsageCount } from "../read-usage-count.ts";

export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Input tokens served from the provider's prompt cache, when reported. */
  readonly cachedInputTokens: number;
}

/** A count as metering charges it (read-usage-count.ts): absent or not a count reads as 0, a huge one as the cap. */
const count = (value: unknown): number => meteredUsageCount(value, 0);

export function readOpenAiUsage(usage: unknown): TokenUsage | null {
  if (typeof usage !== "object" || usage === null) return null;
  const fields = usage as Record<string, unknown>;
  const details = fields.prompt_tokens_details as Record<string, unknown> | null | undefined;
  return {
    inputTokens: count(fields.prompt_tokens),
    outputTokens: count(fields.completion_tokens),
    cachedInputTokens: count(details?.cached_tokens),
  };
}
