/**
 * @module providers/provider-registry
 * Adapter id → adapter, for every provider and connection kind that serves model calls through the pipeline.
 */
import { anthropicProvider } from "./anthropic/anthropic-provider.ts";
import { azureProvider } from "./azure/azure-provider.ts";
import { customProvider } from "./custom/custom-provider.ts";
import { deepgramProvider } from "./deepgram/deepgram-provider.ts";
import { geminiProvider } from "./gemini/gemini-provider.ts";
import { openaiProvider } from "./openai/openai-provider.ts";
import { openaiCompatibleProvider } from "./openai-compatible/openai-compatible-provider.ts";
import { openrouterProvider } from "./openrouter/openrouter-provider.ts";
import type { AdapterId, ProviderAdapter } from "./provider-adapter.ts";

export type ProviderRegistry = ReadonlyMap<AdapterId, ProviderAdapter>;

export function createProviderRegistry(extra: readonly ProviderAdapter[] = []): ProviderRegistry {
  const adapters = [
    openaiProvider,
    anthropicProvider,
    openrouterProvider,
    geminiProvider,
    customProvider,
    deepgramProvider,
    openaiCompatibleProvider,
    azureProvider,
    ...extra,
  ];
  return new Map(adapters.map((adapter) => [adapter.id, adapter] as const));
}
