/**
 * @module providers/openai/openai-provider
 * OpenAI's own API: the reference dialect, bearer key, usage in streams, base64 embeddings.
 */
import { readOpenAiError } from "../../wire/openai/read-openai-error.ts";
import { modelCapabilities, modelSupportsPromptCacheKey } from "../model-capabilities.ts";
import type { ProviderAdapter } from "../provider-adapter.ts";

export const openaiProvider: ProviderAdapter = {
  id: "openai",
  dialect: "openai",
  defaultBaseUrl: "https://api.openai.com/v1",
  paths: { chat: "/chat/completions", embeddings: "/embeddings" },
  authHeaders: (key) => ({ authorization: `Bearer ${key.reveal()}` }),
  supports: { streamUsage: true, base64Embeddings: true },
  capabilitiesOf: (model) => modelCapabilities("openai", model),
  supportsPromptCacheKey: (model) => modelSupportsPromptCacheKey("openai", model),
  readError: readOpenAiError,
};
