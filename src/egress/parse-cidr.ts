/**
 * @module Parses CIDR text ("10.0.0.0/8", "fd00::/8", or a bare address) into a prefix, and tests
 * whether an address lies inside one.
 */
import { type IpAddress, parseIpAddress } from "./parse-ip-address.ts";

export type Cidr =
  | { readonly family: 4; readonly network: number; readonly prefix: number; readonly text: string }
  | {
      readonly family: 6;
      readonly groups: readonly number[];
      readonly prefix: number;
      readonly text: string;
    };

export type CidrParseResult = { ok: true; cidr: Cidr } | { ok: false; message: string };

/** Parses operator or table CIDR text; host bits must be zero so nothing is silently widened. */
export function parseCidr(text: string): CidrParseResult {
  const slash = text.indexOf("/");
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const address = parseIpAddress(addressText);
  if (address === undefined) return { ok: false, message: `"${text}" is not an IP address or CIDR` };
  const maxPrefix = address.family === 4 ? 32 : 128;
  const prefixText = slash === -1 ? String(maxPrefix) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > maxPrefix) {
    return { ok: false, message: `"${text}" has an invalid prefix length` };
  }
  const prefix = Number(prefixText);
  const canonical = `${addressText}/${prefix}`;
  const cidr: Cidr =
    address.family === 4
      ? { family: 4, network: address.value, prefix, text: canonical }
      : { family: 6, groups: address.groups, prefix, text: canonical };
  if (!hostBitsZero(cidr)) {
    return { ok: false, message: `"${text}" has host bits set; write the network address` };
  }
  return { ok: true, cidr };
}

/** Parses a CIDR the code itself defines; a failure is a programming error. */
export function cidr(text: string): Cidr {
  const result = parseCidr(text);
  if (!result.ok) throw new Error(result.message);
  return result.cidr;
}

export function cidrContains(range: Cidr, address: IpAddress): boolean {
  if (range.family === 4) {
    if (address.family !== 4) return false;
    if (range.prefix === 0) return true; // a shift by 32 would be a shift by 0 in JavaScript
    const shift = 32 - range.prefix;
    return address.value >>> shift === range.network >>> shift;
  }
  if (address.family !== 6) return false;
  let remaining = range.prefix;
  for (let index = 0; index < 8 && remaining > 0; index++) {
    const bits = Math.min(16, remaining);
    const shift = 16 - bits;
    if (address.groups[index]! >> shift !== range.groups[index]! >> shift) return false;
    remaining -= bits;
  }
  return true;
}

/** The network address of a range, as an address. */
export function cidrAddress(range: Cidr): IpAddress {
  return range.family === 4 ? { family: 4, value: range.network } : { family: 6, groups: range.groups };
}

function hostBitsZero(range: Cidr): boolean {
  if (range.family === 4) return range.prefix === 32 || range.network % 2 ** (32 - range.prefix) === 0;
  let remaining = range.prefix;
  for (const group of range.groups) {
    const bits = Math.max(0, Math.min(16, remaining));
    if ((group & (0xffff >> bits)) !== 0) return false;
    remaining -= 16;
  }
  return true;
}
