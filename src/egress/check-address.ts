/**
 * @module The address decision: is this resolved or literal IP address one we may connect to?
 * Operator allowances first (except metadata addresses), then the special-purpose ranges.
 */
import {
  type AddressRange,
  deniedGlobalIpv6Ranges,
  deniedIpv4Ranges,
  globalUnicastRange,
  ipv4MappedRange,
  metadataAddresses,
  nat64Range,
  nonGlobalIpv6Ranges,
} from "./address-ranges.ts";
import { type Cidr, cidrAddress, cidrContains } from "./parse-cidr.ts";
import { type IpAddress, parseIpAddress } from "./parse-ip-address.ts";

/** The part of an egress policy that address decisions read. */
export interface AddressPolicy {
  readonly allowCidrs: readonly Cidr[];
  readonly unwrapNat64: boolean;
}

export type AddressVerdict =
  | {
      readonly ok: true;
      readonly address: string;
      readonly family: 4 | 6;
      readonly basis: "public" | "operator_allowance" | "allowed_host";
    }
  | {
      readonly ok: false;
      readonly reason: "address_invalid" | "address_denied" | "metadata_address_denied";
      /** The denied range's name, for logs and tests only. */
      readonly range: string;
    };

export interface AddressCheckContext {
  /** The host name is on the operator's allowHosts list: only metadata addresses are refused. */
  readonly hostAllowed?: boolean;
}

const strictPolicy: AddressPolicy = { allowCidrs: [], unwrapNat64: false };

/** Metadata entries are single addresses, so they are found by exact key rather than by scanning. */
const metadataByAddress: ReadonlyMap<string, AddressRange> = new Map(
  metadataAddresses.map((entry) => {
    if (entry.range.prefix !== (entry.range.family === 4 ? 32 : 128))
      throw new Error(`${entry.name} is not one address`);
    return [addressKey(cidrAddress(entry.range)), entry] as const;
  }),
);

function addressKey(address: IpAddress): string {
  return address.family === 4 ? `4:${address.value}` : `6:${address.groups.join(":")}`;
}

/** Decides one address; never throws. Zone ids and non-canonical text are refused. */
export function checkAddress(
  address: string,
  policy: AddressPolicy = strictPolicy,
  context: AddressCheckContext = {},
): AddressVerdict {
  if (typeof address !== "string") return { ok: false, reason: "address_invalid", range: "not_an_address" };
  if (address.includes("%")) return { ok: false, reason: "address_denied", range: "zone_id" };
  const parsed = parseIpAddress(address);
  if (parsed === undefined) return { ok: false, reason: "address_invalid", range: "not_an_address" };
  const judged = unwrap(parsed, policy.unwrapNat64);
  const metadata = metadataByAddress.get(addressKey(judged));
  if (metadata !== undefined && !allowsExactly(policy.allowCidrs, judged)) {
    return { ok: false, reason: "metadata_address_denied", range: metadata.name };
  }
  const allow = (basis: "public" | "operator_allowance" | "allowed_host"): AddressVerdict => ({
    ok: true,
    address,
    family: parsed.family,
    basis,
  });
  if (policy.allowCidrs.some((range) => cidrContains(range, judged) || cidrContains(range, parsed))) {
    return allow("operator_allowance");
  }
  if (context.hostAllowed === true) return allow("allowed_host");
  const denied = deniedRange(judged);
  return denied === undefined ? allow("public") : { ok: false, reason: "address_denied", range: denied };
}

/** IPv4-mapped always, NAT64 only when the operator asked: both are judged as their IPv4. */
function unwrap(address: IpAddress, unwrapNat64: boolean): IpAddress {
  if (address.family === 4) return address;
  const mapped = cidrContains(ipv4MappedRange, address);
  if (!mapped && !(unwrapNat64 && cidrContains(nat64Range, address))) return address;
  const high = address.groups[6] ?? 0;
  const low = address.groups[7] ?? 0;
  return { family: 4, value: high * 65536 + low };
}

function deniedRange(address: IpAddress): string | undefined {
  if (address.family === 4) return firstMatch(deniedIpv4Ranges, address)?.name;
  if (!cidrContains(globalUnicastRange, address)) {
    return firstMatch(nonGlobalIpv6Ranges, address)?.name ?? "not_global_unicast";
  }
  return firstMatch(deniedGlobalIpv6Ranges, address)?.name;
}

function firstMatch(ranges: readonly AddressRange[], address: IpAddress): AddressRange | undefined {
  return ranges.find((entry) => cidrContains(entry.range, address));
}

/** A metadata address opens only to an allowance naming exactly that address (/32 or /128). */
function allowsExactly(allowCidrs: readonly Cidr[], address: IpAddress): boolean {
  const full = address.family === 4 ? 32 : 128;
  return allowCidrs.some((range) => range.prefix === full && cidrContains(range, address));
}
