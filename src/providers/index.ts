/**
 * @module providers
 * The provider interface, the registry and the capability table.
 */
export { modelCapabilities, modelSupportsPromptCacheKey } from "./model-capabilities.ts";
export type { Dialect, Operation, ProviderAdapter, ProviderError } from "./provider-adapter.ts";
export { createProviderRegistry, type ProviderRegistry } from "./provider-registry.ts";
