/**
 * @module providers
 * The provider interface, the registry and the capability table.
 */
export { modelCapabilities, modelSupportsPromptCacheKey } from "./model-capabilities.ts";
export {
  type AdapterId,
  type Dialect,
  fixedPaths,
  joinBaseUrl,
  type Operation,
  type PathTarget,
  type ProviderAdapter,
  type ProviderError,
  plainTarget,
  type VerifyProbe,
  withQuery,
} from "./provider-adapter.ts";
export { createProviderRegistry, type ProviderRegistry } from "./provider-registry.ts";
export { revealConnectionHeaders } from "./reveal-connection-headers.ts";
