/**
 * @module routing/parse-model-name
 * The request's `model`: a feature name, or `provider/model` asking for a model directly on the user's key.
 */
import { isProviderId, PROVIDER_IDS, type ProviderId } from "../keys/provider-ids.ts";

export type ModelName =
  | { readonly kind: "feature"; readonly name: string }
  | { readonly kind: "direct"; readonly provider: ProviderId; readonly model: string }
  | { readonly kind: "invalid"; readonly reason: string };

export function parseModelName(value: unknown): ModelName {
  if (typeof value !== "string" || value.length === 0 || value.length > 300) {
    return { kind: "invalid", reason: "`model` must be a feature name or provider/model." };
  }
  const slash = value.indexOf("/");
  if (slash === -1) return { kind: "feature", name: value };
  const provider = value.slice(0, slash);
  const model = value.slice(slash + 1);
  if (!isProviderId(provider) || model.length === 0) {
    return {
      kind: "invalid",
      reason: `\`${provider}\` is not a provider id (${PROVIDER_IDS.join(", ")}).`,
    };
  }
  return { kind: "direct", provider, model };
}
