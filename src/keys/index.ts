export { computeFingerprint, FINGERPRINT_PATTERN, isFingerprint } from "./compute-fingerprint.ts";
export { createKeyQuoteCheck } from "./create-key-quote-check.ts";
export { loadOrCreatePepper, PEPPER_FILE_NAME } from "./load-or-create-pepper.ts";
export {
  type HeaderBag,
  MAX_KEY_LENGTH,
  NO_BYOK,
  type PresentedByok,
  parseByokHeaders,
} from "./parse-byok-headers.ts";
export {
  createPepperRing,
  type FingerprintMatch,
  MIN_PEPPER_LENGTH,
  type PepperRing,
  type StoredFingerprint,
} from "./pepper-ring.ts";
export {
  CHAT_PROVIDER_IDS,
  CUSTOM_BASE_URL_HEADER,
  CUSTOM_MODEL_HEADER,
  isProviderId,
  KEY_HEADER_BY_PROVIDER,
  PROVIDER_IDS,
  type ProviderId,
  providerForHeader,
} from "./provider-ids.ts";
export { REDACTED, redactKeysInPlay, redactSecrets } from "./redact-secrets.ts";
export { SecretKey } from "./secret-key.ts";
