/**
 * @module providers/openai-compatible/openai-compatible-provider
 * An operator's own OpenAI-compatible server (vLLM, Ollama, a proxy, another vendor) named as a connection:
 * bearer key, optional parameters never added (strict servers reject them), capabilities as declared.
 */

import { OPENAI_COMPATIBLE_CAPABILITIES } from "../../config/connection-schema.ts";
import type { Capability } from "../../config/feature-schema.ts";
import type { SecretKey } from "../../keys/secret-key.ts";
import { readOpenAiError } from "../../wire/openai/read-openai-error.ts";
import { fixedPaths, joinBaseUrl, type ProviderAdapter } from "../provider-adapter.ts";

/** The one line that reveals the key: every call's auth headers. */
const authHeaders = (key: SecretKey): Record<string, string> => ({ authorization: `Bearer ${key.reveal()}` });

const DEFAULT_CAPABILITIES: ReadonlySet<Capability> = new Set(OPENAI_COMPATIBLE_CAPABILITIES);

export const openaiCompatibleProvider: ProviderAdapter = {
  id: "openai_compatible",
  dialect: "openai",
  defaultBaseUrl: null,
  pathFor: fixedPaths({ chat: "/chat/completions", embeddings: "/embeddings" }),
  authHeaders,
  supports: { streamUsage: false, base64Embeddings: false },
  // What the connection or the route does not declare: chat with streaming, tools and JSON schema.
  capabilitiesOf: () => DEFAULT_CAPABILITIES,
  supportsPromptCacheKey: () => false,
  readError: readOpenAiError,
  buildVerifyProbe: (baseUrl, key) => ({
    url: joinBaseUrl(baseUrl, "/models"),
    headers: authHeaders(key),
  }),
};
