/**
 * @module enrollment/check-enrollment-policy
 * The operator's enrollment policy (docs/configuration.md): a chat provider by default, or a required set.
 */
import { CHAT_PROVIDER_IDS, type ProviderId } from "../keys/provider-ids.ts";

export interface EnrollmentPolicy {
  /** When set, every one of these must be enrolled; otherwise at least one chat provider. */
  readonly requiredProviders?: readonly ProviderId[] | undefined;
}

export type PolicyDecision =
  | { readonly ok: true }
  | { readonly ok: false; readonly param: string; readonly message: string };

export function checkEnrollmentPolicy(
  providers: readonly ProviderId[],
  policy: EnrollmentPolicy,
): PolicyDecision {
  if (policy.requiredProviders !== undefined) {
    const missing = policy.requiredProviders.filter((provider) => !providers.includes(provider));
    if (missing.length > 0) {
      return {
        ok: false,
        param: `fingerprints.${missing[0]}`,
        message: `The operator requires these providers to be enrolled: ${missing.join(", ")}.`,
      };
    }
    return { ok: true };
  }
  if (!providers.some((provider) => CHAT_PROVIDER_IDS.includes(provider))) {
    return {
      ok: false,
      param: "fingerprints",
      message: `An enrollment needs at least one chat provider (${CHAT_PROVIDER_IDS.join(", ")}).`,
    };
  }
  return { ok: true };
}
