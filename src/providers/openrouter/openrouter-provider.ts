/**
 * @module providers/openrouter/openrouter-provider
 * OpenRouter: OpenAI-compatible chat under /api/v1, bearer key; model names carry their vendor (`openai/gpt-4.1`).
 */

import type { SecretKey } from "../../keys/secret-key.ts";
import { readOpenAiError } from "../../wire/openai/read-openai-error.ts";
import { modelCapabilities, modelSupportsPromptCacheKey } from "../model-capabilities.ts";
import { fixedPaths, joinBaseUrl, type ProviderAdapter } from "../provider-adapter.ts";

/** The one line that reveals the key: every call's auth headers. */
const authHeaders = (key: SecretKey): Record<string, string> => ({ authorization: `Bearer ${key.reveal()}` });

export const openrouterProvider: ProviderAdapter = {
  id: "openrouter",
  dialect: "openai",
  defaultBaseUrl: "https://openrouter.ai/api/v1",
  pathFor: fixedPaths({ chat: "/chat/completions" }),
  authHeaders,
  supports: { streamUsage: true, base64Embeddings: false },
  capabilitiesOf: (model) => modelCapabilities("openrouter", model),
  supportsPromptCacheKey: (model) => modelSupportsPromptCacheKey("openrouter", model),
  readError: readOpenAiError,
  // GET /key: the key's own record (limits, usage); 401 for an unknown key.
  buildVerifyProbe: (baseUrl, key) => ({
    url: joinBaseUrl(baseUrl, "/key"),
    headers: authHeaders(key),
  }),
};
