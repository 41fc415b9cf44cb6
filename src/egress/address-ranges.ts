/**
 * @module The data behind address decisions: special-purpose IPv4 and IPv6 ranges (IANA registries)
 * and the cloud metadata addresses denied even where they look public.
 */
import { type Cidr, cidr } from "./parse-cidr.ts";

export interface AddressRange {
  readonly range: Cidr;
  /** A stable snake_case name for logs and tests, never sent to a client. */
  readonly name: string;
}

const named = (text: string, name: string): AddressRange => ({ range: cidr(text), name });

/** IPv4 ranges that are never public; the first match names the range. */
export const deniedIpv4Ranges: readonly AddressRange[] = [
  named("0.0.0.0/8", "this_network"),
  named("10.0.0.0/8", "private_use"),
  named("100.64.0.0/10", "shared_address_space"),
  named("127.0.0.0/8", "loopback"),
  named("169.254.0.0/16", "link_local"),
  named("172.16.0.0/12", "private_use"),
  named("192.0.0.0/24", "ietf_protocol_assignments"),
  named("192.0.2.0/24", "documentation"),
  named("192.88.99.0/24", "6to4_relay_anycast"),
  named("192.168.0.0/16", "private_use"),
  named("198.18.0.0/15", "benchmarking"),
  named("198.51.100.0/24", "documentation"),
  named("203.0.113.0/24", "documentation"),
  named("224.0.0.0/4", "multicast"),
  named("255.255.255.255/32", "limited_broadcast"),
  named("240.0.0.0/4", "reserved"),
];

/** IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry. */
export const ipv4MappedRange: Cidr = cidr("::ffff:0:0/96");

/** The well-known NAT64 prefix; unwrapped only when the operator turns it on. */
export const nat64Range: Cidr = cidr("64:ff9b::/96");

/** Only global unicast is allowed at all; every other IPv6 range is named for the log. */
export const globalUnicastRange: Cidr = cidr("2000::/3");

export const nonGlobalIpv6Ranges: readonly AddressRange[] = [
  named("::/128", "unspecified"),
  named("::1/128", "loopback"),
  named("::ffff:0:0:0/96", "ipv4_translated"),
  named("::/96", "ipv4_compatible"),
  named("64:ff9b::/96", "nat64"),
  named("64:ff9b:1::/48", "nat64_local_use"),
  named("100::/64", "discard_only"),
  named("fc00::/7", "unique_local"),
  named("fe80::/10", "link_local"),
  named("fec0::/10", "site_local"),
  named("ff00::/8", "multicast"),
];

/** Ranges inside 2000::/3 that are still not ordinary public unicast. */
export const deniedGlobalIpv6Ranges: readonly AddressRange[] = [
  named("2001:db8::/32", "documentation"),
  named("2001::/32", "teredo"),
  named("2001::/23", "ietf_protocol_assignments"),
  named("2002::/16", "6to4"),
  named("3fff::/20", "documentation"),
];

/**
 * Cloud metadata and platform service addresses, compared after IPv4-mapped (and, when enabled,
 * NAT64) unwrapping. Most already sit in a denied range; they are listed so that a CIDR allowance
 * wider than the exact address never opens them, and because some (Azure's WireServer) look public.
 */
export const metadataAddresses: readonly AddressRange[] = [
  named("169.254.169.254/32", "instance_metadata"),
  named("169.254.169.253/32", "aws_dns_resolver"),
  named("169.254.169.123/32", "aws_time_sync"),
  named("169.254.170.2/32", "aws_ecs_task_metadata"),
  named("169.254.170.23/32", "aws_eks_pod_identity"),
  named("169.254.0.23/32", "tencent_metadata"),
  named("100.100.100.200/32", "alibaba_metadata"),
  named("168.63.129.16/32", "azure_wireserver"),
  named("192.0.0.192/32", "oracle_legacy_metadata"),
  named("fd00:ec2::254/128", "aws_metadata_ipv6"),
  named("fd00:ec2::253/128", "aws_dns_resolver_ipv6"),
  named("fd00:ec2::123/128", "aws_time_sync_ipv6"),
  named("fd00:ec2::23/128", "aws_eks_pod_identity_ipv6"),
  named("fd20:ce::254/128", "gcp_metadata_ipv6"),
  named("fd00:c1::a9fe:a9fe/128", "oracle_metadata_ipv6"),
];
