/**
 * @module routing/parse-model-name
 * The request's `model`: a name (a feature or an alias) and, when it reads as one, `provider/model` asking
 * for a model directly on the user's key.
 */
import { isProviderId, type ProviderId } from "../keys/provider-ids.ts";

/**
 * `value` is the name as sent: a feature or alias is looked up by it; `direct` also reads as
 * `provider/model` (used only when no alias claims the whole name and direct calls are allowed).
 */
export type ModelName =
  | { readonly kind: "name"; readonly value: string }
  | { readonly kind: "direct"; readonly value: string; readonly provider: ProviderId; readonly model: string }
  | { readonly kind: "invalid"; readonly reason: string };

export function parseModelName(value: unknown): ModelName {
  if (typeof value !== "string" || value.length === 0 || value.length > 300) {
    return { kind: "invalid", reason: "`model` must be a feature name or provider/model." };
  }
  const slash = value.indexOf("/");
  const provider = value.slice(0, slash);
  const model = value.slice(slash + 1);
  if (slash === -1 || !isProviderId(provider) || model.length === 0) return { kind: "name", value };
  return { kind: "direct", value, provider, model };
}
