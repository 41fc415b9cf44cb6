/**
 * @module translate/chat-usage-to-responses
 * A chat completion's `usage` → the Responses API's `usage` (input/output tokens with their details), or
 * null when the upstream reported none.
 */
import { meteredUsageCount } from "../wire/read-usage-count.ts";
import { isJsonObject, type JsonObject } from "./json-object.ts";

/** A count as metering reads it (wire/read-usage-count.ts): absent or not a count reads as 0, a huge one as the cap. */
const count = (value: unknown): number => meteredUsageCount(value, 0);

export function chatUsageToResponses(usage: unknown): JsonObject | null {
  if (!isJsonObject(usage)) return null;
  const input = count(usage.prompt_tokens);
  const output = count(usage.completion_tokens);
  const inputDetails = isJsonObject(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const outputDetails = isJsonObject(usage.completion_tokens_details) ? usage.completion_tokens_details : {};
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: count(inputDetails.cached_tokens), cache_write_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: count(outputDetails.reasoning_tokens) },
    total_tokens: input + output,
  };
}
