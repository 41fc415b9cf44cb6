/**
 * @module providers/anthropic/anthropic-provider
 * Anthropic's native Messages API (version 2023-06-01): `x-api-key`, OpenAI chat translated both ways,
 * `/v1/messages` passed through; the base URL is the origin, as for Anthropic's SDK.
 */

import type { SecretKey } from "../../keys/secret-key.ts";
import { readAnthropicError } from "../../wire/anthropic/read-anthropic-error.ts";
import { modelCapabilities, modelSupportsPromptCacheKey } from "../model-capabilities.ts";
import { fixedPaths, joinBaseUrl, type ProviderAdapter } from "../provider-adapter.ts";

export const ANTHROPIC_VERSION = "2023-06-01";

/** The one line that reveals the key: every call's auth headers. */
const authHeaders = (key: SecretKey): Record<string, string> => ({
  "x-api-key": key.reveal(),
  "anthropic-version": ANTHROPIC_VERSION,
});

export const anthropicProvider: ProviderAdapter = {
  id: "anthropic",
  dialect: "anthropic",
  defaultBaseUrl: "https://api.anthropic.com",
  pathFor: fixedPaths({ chat: "/v1/messages" }),
  countTokensPath: "/v1/messages/count_tokens",
  authHeaders,
  // Messages streams always carry usage; embeddings are not served.
  supports: { streamUsage: true, base64Embeddings: false },
  capabilitiesOf: (model) => modelCapabilities("anthropic", model),
  supportsPromptCacheKey: (model) => modelSupportsPromptCacheKey("anthropic", model),
  readError: readAnthropicError,
  buildVerifyProbe: (baseUrl, key) => ({
    url: joinBaseUrl(baseUrl, "/v1/models"),
    headers: authHeaders(key),
  }),
};
