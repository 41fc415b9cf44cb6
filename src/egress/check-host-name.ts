/**
 * @module The host-name decision before resolution: a WHATWG-normalized name must be a valid LDH
 * name (with valid punycode) and must not be a loopback, metadata or special-use name.
 */
import { domainToASCII, domainToUnicode } from "node:url";
import { deniedHostNames, deniedHostSuffixes } from "./denied-host-names.ts";

export type HostNameVerdict =
  | { readonly ok: true; readonly name: string }
  | { readonly ok: false; readonly reason: "host_invalid" | "host_denied"; readonly rule: string };

const maxNameLength = 253;
const maxLabelLength = 63;
const ldhLabel = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/**
 * Checks the `hostname` of a parsed URL (already lower-cased and IDNA-mapped by WHATWG).
 * `allowedHosts` are the operator's names: they skip the name deny rules, never the syntax rules.
 */
export function checkHostName(hostname: string, isAllowedHost: (name: string) => boolean): HostNameVerdict {
  if (typeof hostname !== "string") return { ok: false, reason: "host_invalid", rule: "not_a_string" };
  const name = hostname.endsWith(".") ? hostname.slice(0, -1) : hostname;
  const syntax = checkSyntax(name);
  if (syntax !== undefined) return { ok: false, reason: "host_invalid", rule: syntax };
  if (isAllowedHost(name)) return { ok: true, name };
  if (deniedHostNames.has(name)) return { ok: false, reason: "host_denied", rule: "denied_name" };
  if (deniedHostSuffixes.some((suffix) => name.endsWith(suffix))) {
    return { ok: false, reason: "host_denied", rule: "denied_suffix" };
  }
  if (!name.includes(".")) return { ok: false, reason: "host_denied", rule: "single_label" };
  return { ok: true, name };
}

function checkSyntax(name: string): string | undefined {
  if (name.length === 0) return "empty_name";
  if (name.length > maxNameLength) return "name_too_long";
  for (const label of name.split(".")) {
    if (label.length === 0) return "empty_label";
    if (label.length > maxLabelLength) return "label_too_long";
    if (!ldhLabel.test(label)) return "not_ldh";
    if (label.startsWith("xn--") && !isValidALabel(label)) return "invalid_punycode";
  }
  return undefined;
}

/** WHATWG passes undecodable "xn--" labels through; a valid A-label round-trips through Unicode. */
function isValidALabel(label: string): boolean {
  const unicode = domainToUnicode(label);
  if (unicode === "" || unicode === label || !/[^\p{ASCII}]/u.test(unicode)) return false;
  return domainToASCII(unicode) === label;
}
