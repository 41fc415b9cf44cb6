/**
 * @module index
 * The package entry: the library API (createByok, request context, middleware) and the pieces it is built from,
 * the egress guard's public pieces (validateBaseUrl, the policy, the guarded fetch) included.
 */
export type { Principal } from "./auth/index.ts";
export {
  ConfigError,
  type ConfigIssue,
  type GatewayConfig,
  type GatewayConfigInput,
  loadConfig,
  parseConfig,
} from "./config/index.ts";
export {
  type AddressPolicy,
  type AddressVerdict,
  checkAddress,
  checkHostName,
  createEgressPolicy,
  createGuardedDispatcher,
  createGuardedFetch,
  defaultEgressLimits,
  EgressConfigError,
  type EgressDenyReason,
  EgressError,
  type EgressLimits,
  type EgressPolicy,
  type EgressPolicyOptions,
  type EgressResolver,
  egressDenyReasons,
  type GuardedFetch,
  type HostNameVerdict,
  type UrlVerdict,
  validateBaseUrl,
} from "./egress/index.ts";
export type { EnrollmentBody, EnrollmentStatus, VerifyResult, VerifyResults } from "./enrollment/index.ts";
export { type ErrorType, errorCatalog, GatewayError } from "./errors/index.ts";
export {
  computeFingerprint,
  type HeaderBag,
  PROVIDER_IDS,
  type PresentedByok,
  type ProviderId,
  parseByokHeaders,
  SecretKey,
} from "./keys/index.ts";
export {
  type AdminUser,
  type AuthenticateAndValidateOptions,
  answerByokEndpoint,
  BYOK_ENDPOINTS,
  type Byok,
  type ByokAdmin,
  type ByokEndpoint,
  type ByokEndpointAnswer,
  type ByokEndpointsOptions,
  type ByokEndpointTypes,
  type ByokErrorData,
  type ByokKeyMode,
  type ByokModelOptions,
  type ByokModels,
  type CreateByokOptions,
  type CreateUserInput,
  createByok,
  createFetchEndpoints,
  createFetchHandler,
  createNodeEndpoints,
  createNodeMiddleware,
  currentContext,
  type ErrorAnswer,
  type FetchHandler,
  type GuardOptions,
  type GuardOutcome,
  guardRequest,
  type IssuedToken,
  type NodeEndpointRequest,
  type NodeRequestLike,
  type NodeResponseLike,
  type PlanSummary,
  type RequestContext,
  readJsonBody,
  requireContext,
  runWithContext,
  toErrorAnswer,
  type UsageOverTimeQuery,
} from "./library/index.ts";
export type { UsageReport } from "./metering/create-usage-report.ts";
export type { Store } from "./store/index.ts";
export { type ByokContext, validateByok } from "./validation/index.ts";
