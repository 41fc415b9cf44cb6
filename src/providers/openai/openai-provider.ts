/**
 * @module providers/openai/openai-provider
 * OpenAI's own API: the reference dialect, bearer key, usage in streams, base64 embeddings.
 */

import type { SecretKey } from "../../keys/secret-key.ts";
import { readOpenAiError } from "../../wire/openai/read-openai-error.ts";
import { modelCapabilities, modelSupportsPromptCacheKey } from "../model-capabilities.ts";
import { fixedPaths, joinBaseUrl, type ProviderAdapter } from "../provider-adapter.ts";

/** The one line that reveals the key: every call's auth headers. */
const authHeaders = (key: SecretKey): Record<string, string> => ({ authorization: `Bearer ${key.reveal()}` });

export const openaiProvider: ProviderAdapter = {
  id: "openai",
  dialect: "openai",
  defaultBaseUrl: "https://api.openai.com/v1",
  pathFor: fixedPaths({ chat: "/chat/completions", embeddings: "/embeddings" }),
  responsesPath: "/responses",
  authHeaders,
  supports: { streamUsage: true, base64Embeddings: true },
  capabilitiesOf: (model) => modelCapabilities("openai", model),
  supportsPromptCacheKey: (model) => modelSupportsPromptCacheKey("openai", model),
  readError: readOpenAiError,
  // GET /models: listed for any valid key, nothing billed.
  buildVerifyProbe: (baseUrl, key) => ({
    url: joinBaseUrl(baseUrl, "/models"),
    headers: authHeaders(key),
  }),
};
