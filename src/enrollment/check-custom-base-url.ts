/**
 * @module enrollment/check-custom-base-url
 * Whether a custom endpoint may be enrolled: the egress guard's verdict, stored in normalized form.
 */
import { type EgressPolicy, validateBaseUrl } from "../egress/index.ts";
import { normalizeBaseUrl } from "./normalize-base-url.ts";

export type CustomBaseUrlVerdict =
  | { readonly ok: true; readonly normalized: string }
  | { readonly ok: false; readonly reason: string; readonly message: string };

export type CheckCustomBaseUrl = (input: string) => Promise<CustomBaseUrlVerdict>;

/** The enrollment check: the egress validator (syntax, scheme, names, every resolved address) under `policy`. */
export function createCustomBaseUrlCheck(policy: EgressPolicy): CheckCustomBaseUrl {
  return async (input) => {
    const verdict = await validateBaseUrl(input, policy);
    if (!verdict.ok) return { ok: false, reason: verdict.reason, message: verdict.message };
    const normalized = normalizeBaseUrl(verdict.url);
    if (normalized === null) {
      return { ok: false, reason: "url_invalid", message: "The URL could not be parsed." };
    }
    return { ok: true, normalized };
  };
}
