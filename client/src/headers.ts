/**
 * @module client/headers
 * The X-BYOK-* request headers that carry a user's keys and custom endpoint to the gateway (docs/api.md).
 */
import { PROVIDER_IDS, type ProviderId, presentValue, type UserKeys } from "./user-keys.ts";

export const KEY_HEADERS: Readonly<Record<ProviderId, string>> = {
  openai: "X-BYOK-OpenAI",
  anthropic: "X-BYOK-Anthropic",
  gemini: "X-BYOK-Gemini",
  openrouter: "X-BYOK-OpenRouter",
  deepgram: "X-BYOK-Deepgram",
  custom: "X-BYOK-Custom",
};

export const CUSTOM_BASE_URL_HEADER = "X-BYOK-Custom-Base-Url";
export const CUSTOM_MODEL_HEADER = "X-BYOK-Custom-Model";

/**
 * Headers for every present key (values trimmed, empty ones left out), plus the custom endpoint's base URL
 * and model when given. Send them only to the gateway.
 */
export function headers(keys: UserKeys): Record<string, string> {
  const result: Record<string, string> = {};
  for (const provider of PROVIDER_IDS) {
    const value = presentValue(keys, provider);
    if (value !== undefined) result[KEY_HEADERS[provider]] = value;
  }
  const baseUrl = presentValue(keys, "customBaseUrl");
  if (baseUrl !== undefined) result[CUSTOM_BASE_URL_HEADER] = baseUrl;
  const model = presentValue(keys, "customModel");
  if (model !== undefined) result[CUSTOM_MODEL_HEADER] = model;
  return result;
}
