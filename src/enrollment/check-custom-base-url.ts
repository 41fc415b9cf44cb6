/**
 * @module enrollment/check-custom-base-url
 * Whether a custom endpoint may be enrolled: the verdict shape the egress guard answers in.
 */
import { normalizeBaseUrl } from "./normalize-base-url.ts";

export type CustomBaseUrlVerdict =
  | { readonly ok: true; readonly normalized: string }
  | { readonly ok: false; readonly reason: string; readonly message: string };

export type CheckCustomBaseUrl = (input: string) => Promise<CustomBaseUrlVerdict>;

const MAX_URL_LENGTH = 2048;

/** Syntax and scheme only: https, no userinfo, query or fragment. The egress guard adds DNS and address checks. */
export const checkCustomBaseUrlSyntax: CheckCustomBaseUrl = async (input) => {
  if (input.length > MAX_URL_LENGTH)
    return { ok: false, reason: "url_too_long", message: "The URL is too long." };
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return { ok: false, reason: "invalid_url", message: "The value is not a valid absolute URL." };
  }
  if (url.protocol !== "https:") {
    return { ok: false, reason: "scheme_not_allowed", message: "Only https:// base URLs are allowed." };
  }
  const normalized = normalizeBaseUrl(url);
  if (normalized === null) {
    return {
      ok: false,
      reason: "invalid_url",
      message: "A base URL carries no credentials, query or fragment.",
    };
  }
  return { ok: true, normalized };
};
