/**
 * @module library/ai-sdk/openai-usage-to-v4
 * An OpenAI `usage` object (read leniently) as the AI SDK's usage: totals, cached input, reasoning output.
 */
import type { JSONObject, LanguageModelV4Usage } from "@ai-sdk/provider";
import { meteredUsageCount } from "../../wire/read-usage-count.ts";

/** A count as metering reads it (wire/read-usage-count.ts): a huge one is the cap; one that is no count, unknown. */
function count(value: unknown): number | undefined {
  return meteredUsageCount(value, undefined);
}

function recordOf(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

export function openAiUsageToV4(usage: unknown): LanguageModelV4Usage {
  const record = recordOf(usage);
  const input = count(record.prompt_tokens);
  const output = count(record.completion_tokens);
  const cached = count(recordOf(record.prompt_tokens_details).cached_tokens);
  const reasoning = count(recordOf(record.completion_tokens_details).reasoning_tokens);
  const raw: JSONObject = {};
  if (input !== undefined) raw.prompt_tokens = input;
  if (output !== undefined) raw.completion_tokens = output;
  const total = count(record.total_tokens);
  if (total !== undefined) raw.total_tokens = total;
  return {
    inputTokens: {
      total: input,
      noCache: input === undefined ? undefined : input - (cached ?? 0),
      cacheRead: cached,
      cacheWrite: undefined,
    },
    outputTokens: {
      total: output,
      text: output === undefined ? undefined : output - (reasoning ?? 0),
      reasoning,
    },
    raw,
  };
}
