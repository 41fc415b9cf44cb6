/**
 * @module Parses untrusted URL text once with WHATWG URL and applies the URL-level rules (length,
 * userinfo, port, query and fragment for base URLs) and the origin rules; nothing re-parses the text.
 */
import { checkOrigin, type EgressTarget } from "./check-origin.ts";
import type { EgressPolicy } from "./create-egress-policy.ts";
import type { EgressDenyReason } from "./egress-deny-reasons.ts";

export type EgressUrlPurpose = "base" | "request";

export type ParsedEgressUrl =
  | { readonly ok: true; readonly url: URL; readonly target: EgressTarget }
  | { readonly ok: false; readonly reason: EgressDenyReason; readonly rule: string; readonly host?: string };

/** A base URL may not carry a query or fragment; a request URL may carry a query (never userinfo). */
export function parseEgressUrl(
  input: unknown,
  policy: EgressPolicy,
  purpose: EgressUrlPurpose,
): ParsedEgressUrl {
  if (typeof input !== "string") return { ok: false, reason: "url_invalid", rule: "not_a_string" };
  if (input.length > policy.maxUrlLength) return { ok: false, reason: "url_too_long", rule: "url_length" };
  const url = URL.parse(input);
  if (url === null) return { ok: false, reason: "url_invalid", rule: "whatwg_parse" };
  const host = url.hostname;
  const deny = (reason: EgressDenyReason, rule: string): ParsedEgressUrl => ({
    ok: false,
    reason,
    rule,
    host,
  });
  if (url.protocol !== "https:" && url.protocol !== "http:") return deny("scheme_not_allowed", url.protocol);
  if (url.username !== "" || url.password !== "") return deny("userinfo_not_allowed", "userinfo");
  if (url.port === "0") return deny("port_not_allowed", "port_zero");
  if (url.href.length > policy.maxUrlLength) return deny("url_too_long", "normalized_length");
  if (purpose === "base") {
    // An empty "?" or "#" leaves search/hash empty but still shows in href; neither can occur
    // unescaped in the path or host, so their presence in href is the marker.
    const hashAt = url.href.indexOf("#");
    if (url.href.slice(0, hashAt === -1 ? undefined : hashAt).includes("?")) {
      return deny("query_not_allowed", "query");
    }
    if (hashAt !== -1) return deny("fragment_not_allowed", "fragment");
  }
  const origin = checkOrigin(url.protocol, host, policy);
  if (!origin.ok) return deny(origin.reason, origin.rule);
  return { ok: true, url, target: origin.target };
}
