/**
 * @module Parses one operator host allowance (`models.corp.example`, `*.corp.example`, or for plain
 * http also an IP literal) into the same normalized form WHATWG gives a URL's hostname.
 */
import { isIPv4 } from "node:net";
import { checkHostName } from "./check-host-name.ts";

export type HostAllowanceResult = { ok: true; value: string } | { ok: false; message: string };

export interface HostAllowanceRules {
  /** Accept `*.suffix` (any name below suffix, not suffix itself). */
  readonly wildcards: boolean;
  /** Accept IP literals (`127.0.0.2`, `[::1]`). */
  readonly addresses: boolean;
}

export function parseHostAllowance(entry: unknown, rules: HostAllowanceRules): HostAllowanceResult {
  if (typeof entry !== "string" || entry.length === 0)
    return { ok: false, message: "entries must be host names" };
  const wildcard = rules.wildcards && entry.startsWith("*.");
  const host = wildcard ? entry.slice(2) : entry;
  if (/[/?#@\\\s*]/.test(host)) return { ok: false, message: `"${entry}" is not a bare host name` };
  const url = URL.parse(`https://${host}/`);
  if (url === null || url.port !== "" || url.username !== "" || url.password !== "") {
    return { ok: false, message: `"${entry}" is not a bare host name` };
  }
  const hostname = url.hostname;
  if (hostname.startsWith("[") || isIPv4(hostname)) {
    if (rules.addresses && !wildcard) return { ok: true, value: hostname };
    return { ok: false, message: `"${entry}" is an IP address; use allowCidrs for addresses` };
  }
  const verdict = checkHostName(hostname, () => true);
  if (!verdict.ok) return { ok: false, message: `"${entry}" is not a valid host name (${verdict.rule})` };
  return { ok: true, value: wildcard ? `*.${verdict.name}` : verdict.name };
}
