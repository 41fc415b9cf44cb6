/**
 * @module providers/deepgram/deepgram-provider
 * Deepgram speech-to-text: `POST /v1/listen` (prerecorded) and the live `/v1/listen` WebSocket on the same
 * path; the key in `Authorization: Token`, never in a URL.
 */

import type { SecretKey } from "../../keys/secret-key.ts";
import { readDeepgramError } from "../../wire/deepgram/read-deepgram-error.ts";
import { modelCapabilities } from "../model-capabilities.ts";
import { fixedPaths, joinBaseUrl, type ProviderAdapter } from "../provider-adapter.ts";

/** The one line that reveals the key: every call's auth headers. */
const authHeaders = (key: SecretKey): Record<string, string> => ({ authorization: `Token ${key.reveal()}` });

export const deepgramProvider: ProviderAdapter = {
  id: "deepgram",
  dialect: "deepgram",
  defaultBaseUrl: "https://api.deepgram.com",
  pathFor: fixedPaths({ stt: "/v1/listen" }),
  authHeaders,
  supports: { streamUsage: false, base64Embeddings: false },
  capabilitiesOf: (model) => modelCapabilities("deepgram", model),
  supportsPromptCacheKey: () => false,
  readError: readDeepgramError,
  buildVerifyProbe: (baseUrl, key) => ({
    url: joinBaseUrl(baseUrl, "/v1/projects"),
    headers: authHeaders(key),
  }),
};
