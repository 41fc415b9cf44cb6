/**
 * @module providers/model-capabilities
 * The one capability table: per provider, which models embed, which chat with tools/vision/JSON schema,
 * and which honour OpenAI's `prompt_cache_key`. Operators override a route's set in configuration.
 */
import type { Capability } from "../config/feature-schema.ts";
import type { ProviderId } from "../keys/provider-ids.ts";

const CHAT: ReadonlySet<Capability> = new Set(["chat", "streaming", "tools", "json_schema", "vision"]);
const EMBEDDINGS: ReadonlySet<Capability> = new Set(["embeddings"]);
const STT: ReadonlySet<Capability> = new Set(["stt"]);

interface CapabilityRow {
  readonly provider: ProviderId;
  /** Matched against the model name (for OpenRouter, the part after its own `vendor/`). */
  readonly model: RegExp;
  readonly capabilities: ReadonlySet<Capability>;
  readonly promptCacheKey: boolean;
}

/** First matching row wins; the last row of each provider is its catch-all. */
const table: readonly CapabilityRow[] = [
  { provider: "openai", model: /embedding/, capabilities: EMBEDDINGS, promptCacheKey: false },
  // OpenAI's prompt caching (and so prompt_cache_key) covers the gpt-4o generation onwards.
  {
    provider: "openai",
    model: /^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4)/,
    capabilities: CHAT,
    promptCacheKey: true,
  },
  { provider: "openai", model: /./, capabilities: CHAT, promptCacheKey: false },
  { provider: "gemini", model: /embedding/, capabilities: EMBEDDINGS, promptCacheKey: false },
  { provider: "gemini", model: /./, capabilities: CHAT, promptCacheKey: false },
  { provider: "openrouter", model: /./, capabilities: CHAT, promptCacheKey: false },
  { provider: "anthropic", model: /./, capabilities: CHAT, promptCacheKey: false },
  { provider: "deepgram", model: /./, capabilities: STT, promptCacheKey: false },
];

const NONE: ReadonlySet<Capability> = new Set();

function rowFor(provider: ProviderId, model: string): CapabilityRow | undefined {
  return table.find((row) => row.provider === provider && row.model.test(model));
}

export function modelCapabilities(provider: ProviderId, model: string): ReadonlySet<Capability> {
  return rowFor(provider, model)?.capabilities ?? NONE;
}

export function modelSupportsPromptCacheKey(provider: ProviderId, model: string): boolean {
  return rowFor(provider, model)?.promptCacheKey ?? false;
}
