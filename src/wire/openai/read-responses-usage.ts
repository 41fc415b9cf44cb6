/**
 * @module wire/openai/read-responses-usage
 * The token counts the gateway meters, read leniently from a Responses API `usage` object
 * (`input_tokens`, `output_tokens`, `input_tokens_details.cached_tokens`).
 */
import { meteredUsageCount } from "../read-usage-count.ts";
import type { TokenUsage } from "./openai-usage.ts";

/** A count as metering charges it (read-usage-count.ts): absent or not a count reads as 0, a huge one as the cap. */
const count = (value: unknown): number => meteredUsageCount(value, 0);

export function readResponsesUsage(usage: unknown): TokenUsage | null {
  if (typeof usage !== "object" || usage === null || Array.isArray(usage)) return null;
  const fields = usage as Record<string, unknown>;
  const details = fields.input_tokens_details as Record<string, unknown> | null | undefined;
  return {
    inputTokens: count(fields.input_tokens),
    outputTokens: count(fields.output_tokens),
    cachedInputTokens: count(details?.cached_tokens),
  };
}
