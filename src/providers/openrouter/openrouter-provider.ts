/**
 * @module providers/openrouter/openrouter-provider
 * OpenRouter: OpenAI-compatible chat under /api/v1, bearer key; model names carry their vendor (`openai/gpt-4.1`).
 */
import { readOpenAiError } from "../../wire/openai/read-openai-error.ts";
import { modelCapabilities, modelSupportsPromptCacheKey } from "../model-capabilities.ts";
import type { ProviderAdapter } from "../provider-adapter.ts";

export const openrouterProvider: ProviderAdapter = {
  id: "openrouter",
  dialect: "openai",
  defaultBaseUrl: "https://openrouter.ai/api/v1",
  paths: { chat: "/chat/completions" },
  authHeaders: (key) => ({ authorization: `Bearer ${key.reveal()}` }),
  supports: { streamUsage: true, base64Embeddings: false },
  capabilitiesOf: (model) => modelCapabilities("openrouter", model),
  supportsPromptCacheKey: (model) => modelSupportsPromptCacheKey("openrouter", model),
  readError: readOpenAiError,
};
