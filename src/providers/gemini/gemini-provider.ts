/**
 * @module providers/gemini/gemini-provider
 * Google Gemini through its OpenAI-compatible endpoint; the key travels in the Authorization header,
 * never in a URL. Errors may arrive as Google's `[{error: {...}}]` with numeric codes.
 */
import { readOpenAiError } from "../../wire/openai/read-openai-error.ts";
import { modelCapabilities, modelSupportsPromptCacheKey } from "../model-capabilities.ts";
import { fixedPaths, joinBaseUrl, type ProviderAdapter } from "../provider-adapter.ts";

export const geminiProvider: ProviderAdapter = {
  id: "gemini",
  dialect: "openai",
  defaultBaseUrl: "https://generativelanguage.googleapis.com/v1beta/openai",
  pathFor: fixedPaths({ chat: "/chat/completions", embeddings: "/embeddings" }),
  authHeaders: (key) => ({ authorization: `Bearer ${key.reveal()}` }),
  supports: { streamUsage: true, base64Embeddings: false },
  capabilitiesOf: (model) => modelCapabilities("gemini", model),
  supportsPromptCacheKey: (model) => modelSupportsPromptCacheKey("gemini", model),
  readError: readOpenAiError,
  // The native models list beside the OpenAI-compatible base (`…/v1beta/openai` → `…/v1beta/models`),
  // the key in `x-goog-api-key`, never in the URL.
  buildVerifyProbe: (baseUrl, key) => ({
    url: joinBaseUrl(baseUrl.replace(/\/+$/, "").replace(/\/openai$/, ""), "/models"),
    headers: { "x-goog-api-key": key.reveal() },
  }),
  // Google answers an unknown key with 400 INVALID_ARGUMENT, reason API_KEY_INVALID.
  rejectsKey: (status, error) =>
    status === 401 ||
    status === 403 ||
    (status === 400 &&
      /API_KEY_INVALID|API key not valid/i.test(`${error.code ?? ""} ${error.message ?? ""}`)),
};
