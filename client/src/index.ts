/**
 * @module client
 * The browser-safe client kit (`byok-gateway/client`): fingerprints, headers, the gateway client, key stores.
 */
export { ByokClientError, type ByokClientErrorFields } from "./byok-client-error.ts";
export {
  type BrowserKeyStore,
  type BrowserKeyStoreOptions,
  createBrowserKeyStore,
} from "./create-browser-key-store.ts";
export {
  type ByokClient,
  type ByokClientOptions,
  createByokClient,
  type EnrollOptions,
} from "./create-byok-client.ts";
export { fingerprint } from "./fingerprint.ts";
export type {
  EnrollmentStatus,
  RoutePreview,
  RoutePreviewFeature,
  UsageLimit,
  UsageReport,
  UsageTotals,
  VerifyResult,
  VerifyResults,
} from "./gateway-types.ts";
export { CUSTOM_BASE_URL_HEADER, CUSTOM_MODEL_HEADER, headers, KEY_HEADERS } from "./headers.ts";
export { createMemoryKeyStore, type KeyStore } from "./key-store.ts";
export type { HeartbeatOptions, HeartbeatTimers } from "./start-heartbeats.ts";
export { PROVIDER_IDS, type ProviderId, type UserKeys } from "./user-keys.ts";
