/**
 * @module providers/deepgram/deepgram-provider
 * Deepgram speech-to-text: `POST /v1/listen` (prerecorded) and the live `/v1/listen` WebSocket on the same
 * path; the key in `Authorization: Token`, never in a URL.
 */
import { readDeepgramError } from "../../wire/deepgram/read-deepgram-error.ts";
import { modelCapabilities } from "../model-capabilities.ts";
import type { ProviderAdapter } from "../provider-adapter.ts";

export const deepgramProvider: ProviderAdapter = {
  id: "deepgram",
  dialect: "deepgram",
  defaultBaseUrl: "https://api.deepgram.com",
  paths: { stt: "/v1/listen" },
  authHeaders: (key) => ({ authorization: `Token ${key.reveal()}` }),
  supports: { streamUsage: false, base64Embeddings: false },
  capabilitiesOf: (model) => modelCapabilities("deepgram", model),
  supportsPromptCacheKey: () => false,
  readError: readDeepgramError,
};
