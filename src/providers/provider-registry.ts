/**
 * @module providers/provider-registry
 * Provider id → adapter, for every provider that serves model calls through the pipeline.
 */
import type { ProviderId } from "../keys/provider-ids.ts";
import { anthropicProvider } from "./anthropic/anthropic-provider.ts";
import { customProvider } from "./custom/custom-provider.ts";
import { deepgramProvider } from "./deepgram/deepgram-provider.ts";
import { geminiProvider } from "./gemini/gemini-provider.ts";
import { openaiProvider } from "./openai/openai-provider.ts";
import { openrouterProvider } from "./openrouter/openrouter-provider.ts";
import type { ProviderAdapter } from "./provider-adapter.ts";

export type ProviderRegistry = ReadonlyMap<ProviderId, ProviderAdapter>;

export function createProviderRegistry(extra: readonly ProviderAdapter[] = []): ProviderRegistry {
  const adapters = [
    openaiProvider,
    anthropicProvider,
    openrouterProvider,
    geminiProvider,
    customProvider,
    deepgramProvider,
    ...extra,
  ];
  return new Map(adapters.map((adapter) => [adapter.id, adapter] as const));
}
