export {
  type CheckCustomBaseUrl,
  type CustomBaseUrlVerdict,
  createCustomBaseUrlCheck,
} from "./check-custom-base-url.ts";
export {
  checkEnrollmentPolicy,
  type EnrollmentPolicy,
  type PolicyDecision,
} from "./check-enrollment-policy.ts";
export {
  createEnrollmentCache,
  type EnrollmentCache,
  type EnrollmentCacheOptions,
} from "./create-enrollment-cache.ts";
export {
  createEnrollmentService,
  type EnrollmentService,
  type EnrollmentServiceOptions,
} from "./create-enrollment-service.ts";
export { createKeyVerifier, type KeyVerifier, type KeyVerifierOptions } from "./create-key-verifier.ts";
export {
  createVerifyService,
  type VerifyService,
  type VerifyServiceOptions,
} from "./create-verify-service.ts";
export { type EnrollmentStatus, isEnrollmentActive, toEnrollmentStatus } from "./enrollment-status.ts";
export { normalizeBaseUrl } from "./normalize-base-url.ts";
export { type EnrollmentBody, type EnrollmentRequest, parseEnrollmentBody } from "./parse-enrollment-body.ts";
export { type ProbeKeyOptions, probeKey } from "./probe-key.ts";
export type { VerifyResult, VerifyResults, VerifyStatus } from "./verify-result.ts";
