/**
 * @module The origin decision shared by the validator and the pinned connector: scheme, plain-http
 * allowance, then the host as an IP literal (checked here) or a name (checked before resolution).
 */
import { isIPv4, isIPv6 } from "node:net";
import { checkAddress } from "./check-address.ts";
import { checkHostName } from "./check-host-name.ts";
import type { EgressPolicy } from "./create-egress-policy.ts";
import type { EgressDenyReason } from "./egress-deny-reasons.ts";

export type EgressTarget =
  | { readonly kind: "address"; readonly address: string; readonly family: 4 | 6 }
  | { readonly kind: "name"; readonly name: string; readonly allowed: boolean };

export type OriginVerdict =
  | { readonly ok: true; readonly target: EgressTarget }
  | { readonly ok: false; readonly reason: EgressDenyReason; readonly rule: string };

/**
 * `hostname` is a WHATWG-normalized hostname; IPv6 literals may come bracketed (from a URL) or bare
 * (from undici's connector options).
 */
export function checkOrigin(protocol: string, hostname: string, policy: EgressPolicy): OriginVerdict {
  if (protocol !== "https:" && protocol !== "http:") {
    return { ok: false, reason: "scheme_not_allowed", rule: protocol };
  }
  const bare = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  const literal = isIPv4(bare) || isIPv6(bare);
  if (protocol === "http:" && !policy.isHttpAllowed(literal && bare.includes(":") ? `[${bare}]` : bare)) {
    return { ok: false, reason: "http_not_allowed", rule: policy.production ? "production" : "not_listed" };
  }
  if (literal) {
    const verdict = checkAddress(bare, policy);
    if (!verdict.ok) return { ok: false, reason: verdict.reason, rule: verdict.range };
    return { ok: true, target: { kind: "address", address: bare, family: verdict.family } };
  }
  const name = checkHostName(hostname, policy.isAllowedHost);
  if (!name.ok) return { ok: false, reason: name.reason, rule: name.rule };
  return { ok: true, target: { kind: "name", name: name.name, allowed: policy.isAllowedHost(name.name) } };
}
