/**
 * @module The egress guard: the only code that opens outbound connections to user-named URLs.
 */
export { type AddressPolicy, type AddressVerdict, checkAddress } from "./check-address.ts";
export { checkHostName, type HostNameVerdict } from "./check-host-name.ts";
export { type HeldBytes, MAX_ERROR_BODY_BYTES } from "./collect-whole-answer.ts";
export {
  createEgressPolicy,
  type EgressPolicy,
  type EgressPolicyDescription,
  type EgressPolicyOptions,
  isEgressPolicy,
} from "./create-egress-policy.ts";
export { createGuardedDispatcher } from "./create-guarded-dispatcher.ts";
export { createGuardedFetch, type GuardedFetch } from "./create-guarded-fetch.ts";
export {
  createUpstreamClient,
  discard,
  type UpstreamBody,
  type UpstreamCall,
  type UpstreamClient,
  type UpstreamClientOptions,
  type UpstreamPoolOptions,
  type UpstreamPoolStats,
  type UpstreamResponse,
  type UpstreamTimeouts,
} from "./create-upstream-client.ts";
export { EgressConfigError } from "./egress-config-error.ts";
export { type EgressDenyReason, egressDenyReasons, isEgressDenyReason } from "./egress-deny-reasons.ts";
export { EgressError, isEgressError } from "./egress-error.ts";
export type { EgressEventDetails, EgressObserver } from "./egress-observer.ts";
export {
  openUpstreamSocket,
  type UpstreamSocket,
  type UpstreamSocketCall,
  type UpstreamSocketOpening,
} from "./open-upstream-socket.ts";
export { defaultEgressLimits, type EgressLimits, type TrustedCertificates } from "./parse-egress-limits.ts";
export { readErrorText } from "./read-error-text.ts";
export type { VettedAddress } from "./resolve-host.ts";
export { type EgressResolver, type ResolvedAddress, systemResolver } from "./system-resolver.ts";
export { toUpstreamFailure } from "./upstream-failure.ts";
export { type UrlVerdict, validateBaseUrl } from "./validate-base-url.ts";
