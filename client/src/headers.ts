/**
 * @module client/headers
 * The X-BYOK-* request headers for a set of user keys (empty values left out).
 */
import type { UserKeys } from "./types.ts";

const NAMES: ReadonlyArray<readonly [keyof UserKeys, string]> = [
  ["openai", "X-BYOK-OpenAI"],
  ["anthropic", "X-BYOK-Anthropic"],
  ["gemini", "X-BYOK-Gemini"],
  ["openrouter", "X-BYOK-OpenRouter"],
  ["deepgram", "X-BYOK-Deepgram"],
  ["custom", "X-BYOK-Custom"],
  ["customBaseUrl", "X-BYOK-Custom-Base-Url"],
  ["customModel", "X-BYOK-Custom-Model"],
];

export function headers(keys: UserKeys): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [field, name] of NAMES) {
    const value = keys[field]?.trim();
    if (value) result[name] = value;
  }
  return result;
}
