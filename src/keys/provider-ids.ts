/**
 * @module keys/provider-ids
 * Provider ids (spelled exactly so everywhere) and the X-BYOK-* header that carries each key.
 */

export const PROVIDER_IDS = ["openai", "anthropic", "gemini", "openrouter", "deepgram", "custom"] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

/** Providers that can serve chat; an enrollment needs one of them by default. */
export const CHAT_PROVIDER_IDS: readonly ProviderId[] = [
  "openai",
  "anthropic",
  "gemini",
  "openrouter",
  "custom",
];

export const KEY_HEADER_BY_PROVIDER: Readonly<Record<ProviderId, string>> = {
  openai: "x-byok-openai",
  anthropic: "x-byok-anthropic",
  gemini: "x-byok-gemini",
  openrouter: "x-byok-openrouter",
  deepgram: "x-byok-deepgram",
  custom: "x-byok-custom",
};

export const CUSTOM_BASE_URL_HEADER = "x-byok-custom-base-url";
export const CUSTOM_MODEL_HEADER = "x-byok-custom-model";

const PROVIDER_BY_HEADER: ReadonlyMap<string, ProviderId> = new Map(
  PROVIDER_IDS.map((id) => [KEY_HEADER_BY_PROVIDER[id], id] as const),
);

export function providerForHeader(lowercaseName: string): ProviderId | undefined {
  return PROVIDER_BY_HEADER.get(lowercaseName);
}

export function isProviderId(value: string): value is ProviderId {
  return (PROVIDER_IDS as readonly string[]).includes(value);
}
