/**
 * @module providers/gemini/gemini-provider
 * Google Gemini through its OpenAI-compatible endpoint; the key travels in the Authorization header,
 * never in a URL. Errors may arrive as Google's `[{error: {...}}]` with numeric codes.
 */
import { readOpenAiError } from "../../wire/openai/read-openai-error.ts";
import { modelCapabilities, modelSupportsPromptCacheKey } from "../model-capabilities.ts";
import type { ProviderAdapter } from "../provider-adapter.ts";

export const geminiProvider: ProviderAdapter = {
  id: "gemini",
  dialect: "openai",
  defaultBaseUrl: "https://generativelanguage.googleapis.com/v1beta/openai",
  paths: { chat: "/chat/completions", embeddings: "/embeddings" },
  authHeaders: (key) => ({ authorization: `Bearer ${key.reveal()}` }),
  supports: { streamUsage: true, base64Embeddings: false },
  capabilitiesOf: (model) => modelCapabilities("gemini", model),
  supportsPromptCacheKey: (model) => modelSupportsPromptCacheKey("gemini", model),
  readError: readOpenAiError,
};
