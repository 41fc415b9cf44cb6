/**
 * @module providers/custom/custom-provider
 * The user's own OpenAI-compatible endpoint, reached only through the egress guard. Optional
 * parameters are never added (strict servers reject them); what the client sends passes through.
 */

import type { SecretKey } from "../../keys/secret-key.ts";
import { readOpenAiError } from "../../wire/openai/read-openai-error.ts";
import { fixedPaths, joinBaseUrl, type ProviderAdapter } from "../provider-adapter.ts";

const NONE = new Set<never>();

/** The one line that reveals the key: every call's auth headers. */
const authHeaders = (key: SecretKey): Record<string, string> => ({ authorization: `Bearer ${key.reveal()}` });

export const customProvider: ProviderAdapter = {
  id: "custom",
  dialect: "openai",
  defaultBaseUrl: null,
  pathFor: fixedPaths({ chat: "/chat/completions", embeddings: "/embeddings" }),
  authHeaders,
  supports: { streamUsage: false, base64Embeddings: false },
  // The feature's customCapabilities decide; the endpoint declares nothing itself.
  capabilitiesOf: () => NONE,
  supportsPromptCacheKey: () => false,
  readError: readOpenAiError,
  // GET {base}/models, the OpenAI-compatible list (sent only through the egress guard).
  buildVerifyProbe: (baseUrl, key) => ({
    url: joinBaseUrl(baseUrl, "/models"),
    headers: authHeaders(key),
  }),
};
