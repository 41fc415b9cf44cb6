/**
 * @module pipeline/bind-prompt-cache-key
 * Prompt-cache binding, one rule for chat and Responses bodies: `prompt_cache_key` only where the model
 * honours it; on the operator's account a client's key is bound to its user and a derived key is keyed,
 * so no user can reach another's cache partition; on a user's own key the client's key passes unchanged.
 */
import { createHmac, randomBytes } from "node:crypto";
import type { ProviderAdapter } from "../providers/index.ts";
import type { Route } from "../routing/index.ts";

/** The pepper ring's info string for the prompt-cache key (one purpose, one derived key). */
export const PROMPT_CACHE_KEY_INFO = "byok-gateway prompt-cache key v1";

/** Who the body is for and the server secret the keys are derived with. */
export interface PromptCacheBinding {
  readonly userId: string;
  readonly secret: Uint8Array;
}

/** A derived-key source: the pepper ring (`deriveKeys`, newest first). */
export interface PromptCacheKeySource {
  deriveKeys(info: string): readonly Uint8Array[];
}

/** The secret from the pepper ring (newest pepper), or a process-local random one without a ring. */
export function createPromptCacheSecret(source?: PromptCacheKeySource): Uint8Array {
  return source?.deriveKeys(PROMPT_CACHE_KEY_INFO)[0] ?? new Uint8Array(randomBytes(32));
}

/**
 * `byok-` + a keyed hash (HMAC-SHA256 under the server secret) of the user, the feature and, when the
 * client sent one, its key: stable per input, unguessable without the secret, never shared by two users.
 */
export function derivePromptCacheKey(
  secret: Uint8Array,
  userId: string,
  feature: string,
  clientKey: string | null = null,
): string {
  const input = JSON.stringify(
    clientKey === null ? ["derived", userId, feature] : ["client", userId, feature, clientKey],
  );
  return `byok-${createHmac("sha256", secret).update(input).digest("base64url").slice(0, 32)}`;
}

/** Applies the route's `promptCacheKey` mode to `upstream` (the body about to be sent) in place. */
export function bindPromptCacheKey(
  upstream: Record<string, unknown>,
  route: Route,
  adapter: ProviderAdapter,
  binding: PromptCacheBinding,
): void {
  if (route.promptCacheKey === "off" || !adapter.supportsPromptCacheKey(route.model)) {
    delete upstream.prompt_cache_key;
    return;
  }
  const clientKey = typeof upstream.prompt_cache_key === "string" ? upstream.prompt_cache_key : null;
  if (clientKey !== null) {
    // The operator's account is shared by every user: the client's key names a partition of its own only.
    if (route.source === "operator")
      upstream.prompt_cache_key = derivePromptCacheKey(
        binding.secret,
        binding.userId,
        route.feature ?? "",
        clientKey,
      );
    return;
  }
  if (route.promptCacheKey === "derive" && upstream.prompt_cache_key === undefined && route.feature !== null)
    upstream.prompt_cache_key = derivePromptCacheKey(binding.secret, binding.userId, route.feature);
}
