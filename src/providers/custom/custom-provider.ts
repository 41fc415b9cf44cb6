/**
 * @module providers/custom/custom-provider
 * The user's own OpenAI-compatible endpoint, reached only through the egress guard. Optional
 * parameters are never added (strict servers reject them); what the client sends passes through.
 */
import { readOpenAiError } from "../../wire/openai/read-openai-error.ts";
import type { ProviderAdapter } from "../provider-adapter.ts";

const NONE = new Set<never>();

export const customProvider: ProviderAdapter = {
  id: "custom",
  dialect: "openai",
  defaultBaseUrl: null,
  paths: { chat: "/chat/completions", embeddings: "/embeddings" },
  authHeaders: (key) => ({ authorization: `Bearer ${key.reveal()}` }),
  supports: { streamUsage: false, base64Embeddings: false },
  // The feature's customCapabilities decide; the endpoint declares nothing itself.
  capabilitiesOf: () => NONE,
  supportsPromptCacheKey: () => false,
  readError: readOpenAiError,
};
