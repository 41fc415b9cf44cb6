/**
 * @module providers
 * The provider interface, the registry and the capability table.
 */
export { modelCapabilities, modelSupportsPromptCacheKey } from "./model-capabilities.ts";
export {
  type Dialect,
  joinBaseUrl,
  type Operation,
  type ProviderAdapter,
  type ProviderError,
  type VerifyProbe,
} from "./provider-adapter.ts";
export { createProviderRegistry, type ProviderRegistry } from "./provider-registry.ts";
