/**
 * @module wire/anthropic/anthropic-usage
 * Anthropic's token counts read leniently from a `usage` object (a message, `message_start` or `message_delta`).
 */
import { meteredUsageCount } from "../read-usage-count.ts";

export interface AnthropicUsageCounts {
  /** Input tokens after the last cache breakpoint (neither read from nor written to the cache). */
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheCreationTokens: number;
}

export const ZERO_ANTHROPIC_USAGE: AnthropicUsageCounts = {
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheCreationTokens: 0,
};

/**
 * The counts in `usage` laid over `base`: a field the object does not carry keeps its base value (a
 * `message_delta` carries cumulative counts, often only `output_tokens`), and so does one that is no count; a
 * huge count is charged as the cap (read-usage-count.ts). Null when `usage` is no object.
 */
export function readAnthropicUsage(
  usage: unknown,
  base: AnthropicUsageCounts = ZERO_ANTHROPIC_USAGE,
): AnthropicUsageCounts | null {
  if (typeof usage !== "object" || usage === null || Array.isArray(usage)) return null;
  const fields = usage as Record<string, unknown>;
  return {
    inputTokens: meteredUsageCount(fields.input_tokens, base.inputTokens),
    outputTokens: meteredUsageCount(fields.output_tokens, base.outputTokens),
    cacheReadTokens: meteredUsageCount(fields.cache_read_input_tokens, base.cacheReadTokens),
    cacheCreationTokens: meteredUsageCount(fields.cache_creation_input_tokens, base.cacheCreationTokens),
  };
}

/** Every input token the request used, cached or not (what OpenAI calls `prompt_tokens`). */
export function totalInputTokens(counts: AnthropicUsageCounts): number {
  return counts.inputTokens + counts.cacheReadTokens + counts.cacheCreationTokens;
}
