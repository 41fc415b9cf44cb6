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
export { type EnrollmentStatus, isEnrollmentActive, toEnrollmentStatus } from "./enrollment-status.ts";
export { normalizeBaseUrl } from "./normalize-base-url.ts";
export { type EnrollmentRequest, parseEnrollmentBody } from "./parse-enrollment-body.ts";
