/**
 * @module The address classification table: both edges of every denied range with their public
 * neighbours, IPv6 forms that embed IPv4, metadata addresses, zone ids, and operator allowances.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkAddress, createEgressPolicy } from "../../src/egress/index.ts";

type Expected = "public" | `${"address_denied" | "metadata_address_denied" | "address_invalid"}:${string}`;

function classify(address: string, policy = createEgressPolicy()): string {
  const verdict = checkAddress(address, policy);
  return verdict.ok
    ? verdict.basis === "public"
      ? "public"
      : verdict.basis
    : `${verdict.reason}:${verdict.range}`;
}

function dotted(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

function numeric(address: string): number {
  return address.split(".").reduce((sum, part) => sum * 256 + Number(part), 0);
}

/** Expected IPv4 denials, written independently of the implementation's table. */
const ipv4Ranges: readonly [cidr: string, range: string][] = [
  ["0.0.0.0/8", "this_network"],
  ["10.0.0.0/8", "private_use"],
  ["100.64.0.0/10", "shared_address_space"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link_local"],
  ["172.16.0.0/12", "private_use"],
  ["192.0.0.0/24", "ietf_protocol_assignments"],
  ["192.0.2.0/24", "documentation"],
  ["192.88.99.0/24", "6to4_relay_anycast"],
  ["192.168.0.0/16", "private_use"],
  ["198.18.0.0/15", "benchmarking"],
  ["198.51.100.0/24", "documentation"],
  ["203.0.113.0/24", "documentation"],
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved"],
];

function ipv4EdgeRows(): [string, Expected][] {
  const rows: [string, Expected][] = [];
  const deniedAt = (value: number) =>
    ipv4Ranges.find(([cidr]) => {
      const [base = "", bits = "0"] = cidr.split("/");
      const size = 2 ** (32 - Number(bits));
      return value >= numeric(base) && value < numeric(base) + size;
    });
  for (const [cidr, range] of ipv4Ranges) {
    const [base = "", bits = "0"] = cidr.split("/");
    const first = numeric(base);
    const last = first + 2 ** (32 - Number(bits)) - 1;
    rows.push([dotted(first), `address_denied:${range}`]);
    rows.push([
      dotted(last),
      last === 0xffffffff ? "address_denied:limited_broadcast" : `address_denied:${range}`,
    ]);
    for (const neighbour of [first - 1, last + 1]) {
      if (neighbour < 0 || neighbour > 0xffffffff) continue;
      const other = deniedAt(neighbour);
      rows.push([dotted(neighbour), other === undefined ? "public" : `address_denied:${other[1]}`]);
    }
  }
  return rows;
}

const ipv6Rows: readonly [string, Expected][] = [
  ["::", "address_denied:unspecified"],
  ["::1", "address_denied:loopback"],
  ["::2", "address_denied:ipv4_compatible"],
  ["::7f00:1", "address_denied:ipv4_compatible"],
  ["::127.0.0.1", "address_denied:ipv4_compatible"],
  ["::8.8.8.8", "address_denied:ipv4_compatible"],
  ["::ffff:127.0.0.1", "address_denied:loopback"],
  ["::ffff:7f00:1", "address_denied:loopback"],
  ["::ffff:10.0.0.1", "address_denied:private_use"],
  ["0:0:0:0:0:ffff:a9fe:a9fe", "metadata_address_denied:instance_metadata"],
  ["::ffff:8.8.8.8", "public"],
  ["::ffff:0:8.8.8.8", "address_denied:ipv4_translated"],
  ["64:ff9b::8.8.8.8", "address_denied:nat64"],
  ["64:ff9b::7f00:1", "address_denied:nat64"],
  ["64:ff9b:1::1", "address_denied:nat64_local_use"],
  ["100::1", "address_denied:discard_only"],
  ["1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "address_denied:not_global_unicast"],
  ["2000::", "public"],
  ["2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "public"],
  ["2001::", "address_denied:teredo"],
  ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "address_denied:teredo"],
  ["2001:0:ffff:ffff:ffff:ffff:ffff:ffff", "address_denied:teredo"],
  ["2001:1::1", "address_denied:ietf_protocol_assignments"],
  ["2001:2::1", "address_denied:ietf_protocol_assignments"],
  ["2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", "address_denied:ietf_protocol_assignments"],
  ["2001:200::", "public"],
  ["2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "public"],
  ["2001:db8::", "address_denied:documentation"],
  ["2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "address_denied:documentation"],
  ["2001:db9::", "public"],
  ["2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "public"],
  ["2002::", "address_denied:6to4"],
  ["2002:7f00:1::", "address_denied:6to4"],
  ["2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "address_denied:6to4"],
  ["2003::", "public"],
  ["2606:4700:4700::1111", "public"],
  ["3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "public"],
  ["3fff::", "address_denied:documentation"],
  ["3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", "address_denied:documentation"],
  ["3fff:1000::", "public"],
  ["3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "public"],
  ["4000::", "address_denied:not_global_unicast"],
  ["fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "address_denied:not_global_unicast"],
  ["fc00::", "address_denied:unique_local"],
  ["fd00::1", "address_denied:unique_local"],
  ["fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "address_denied:unique_local"],
  ["fe00::", "address_denied:not_global_unicast"],
  ["fe80::", "address_denied:link_local"],
  ["febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "address_denied:link_local"],
  ["fec0::", "address_denied:site_local"],
  ["feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "address_denied:site_local"],
  ["ff00::", "address_denied:multicast"],
  ["ff02::1", "address_denied:multicast"],
  ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "address_denied:multicast"],
];

const metadataRows: readonly [string, Expected][] = [
  ["169.254.169.254", "metadata_address_denied:instance_metadata"],
  ["169.254.170.2", "metadata_address_denied:aws_ecs_task_metadata"],
  ["169.254.170.23", "metadata_address_denied:aws_eks_pod_identity"],
  ["169.254.169.253", "metadata_address_denied:aws_dns_resolver"],
  ["169.254.169.123", "metadata_address_denied:aws_time_sync"],
  ["169.254.0.23", "metadata_address_denied:tencent_metadata"],
  ["100.100.100.200", "metadata_address_denied:alibaba_metadata"],
  ["192.0.0.192", "metadata_address_denied:oracle_legacy_metadata"],
  ["168.63.129.16", "metadata_address_denied:azure_wireserver"],
  ["168.63.129.15", "public"],
  ["168.63.129.17", "public"],
  ["fd00:ec2::254", "metadata_address_denied:aws_metadata_ipv6"],
  ["fd00:ec2::253", "metadata_address_denied:aws_dns_resolver_ipv6"],
  ["fd00:ec2::123", "metadata_address_denied:aws_time_sync_ipv6"],
  ["fd00:ec2::23", "metadata_address_denied:aws_eks_pod_identity_ipv6"],
  ["fd20:ce::254", "metadata_address_denied:gcp_metadata_ipv6"],
  ["fd00:c1::a9fe:a9fe", "metadata_address_denied:oracle_metadata_ipv6"],
  ["::ffff:168.63.129.16", "metadata_address_denied:azure_wireserver"],
];

const malformedRows: readonly [string, Expected][] = [
  ["fe80::1%eth0", "address_denied:zone_id"],
  ["2606:4700::1%1", "address_denied:zone_id"],
  ["", "address_invalid:not_an_address"],
  ["1.2.3", "address_invalid:not_an_address"],
  ["01.2.3.4", "address_invalid:not_an_address"],
  ["1.2.3.256", "address_invalid:not_an_address"],
  ["0x7f.0.0.1", "address_invalid:not_an_address"],
  [" 8.8.8.8", "address_invalid:not_an_address"],
  ["8.8.8.8 ", "address_invalid:not_an_address"],
  ["[::1]", "address_invalid:not_an_address"],
  ["::ffff:1.2.3", "address_invalid:not_an_address"],
  ["1::2::3", "address_invalid:not_an_address"],
  ["example.com", "address_invalid:not_an_address"],
];

describe("checkAddress table", () => {
  for (const [title, rows] of [
    ["IPv4 range edges and neighbours", ipv4EdgeRows()],
    ["IPv6 classes and edges", ipv6Rows],
    ["metadata addresses", metadataRows],
    ["zone ids and malformed text", malformedRows],
  ] as const) {
    test(title, () => {
      assert.ok(rows.length > 10);
      for (const [address, expected] of rows) assert.equal(classify(address), expected, address);
    });
  }

  test("public IPv4 controls", () => {
    for (const address of [
      "1.1.1.1",
      "8.8.8.8",
      "93.184.216.34",
      "223.255.255.255",
      "100.63.255.255",
      "100.128.0.0",
    ]) {
      assert.equal(classify(address), "public", address);
    }
  });

  test("NAT64 is judged as its IPv4 only when the operator turns unwrapping on", () => {
    const unwrap = createEgressPolicy({ unwrapNat64: true });
    assert.equal(classify("64:ff9b::8.8.8.8", unwrap), "public");
    assert.equal(classify("64:ff9b::808:808", unwrap), "public");
    assert.equal(classify("64:ff9b::127.0.0.1", unwrap), "address_denied:loopback");
    assert.equal(classify("64:ff9b::a9fe:a9fe", unwrap), "metadata_address_denied:instance_metadata");
    assert.equal(classify("64:ff9b:1::808:808", unwrap), "address_denied:nat64_local_use");
  });

  test("CIDR allowances open special ranges but not metadata, unless the exact address is named", () => {
    const wide = createEgressPolicy({
      allowCidrs: ["10.0.0.0/8", "169.254.0.0/16", "fd00::/8", "100.64.0.0/10"],
    });
    assert.equal(classify("10.1.2.3", wide), "operator_allowance");
    assert.equal(classify("::ffff:10.1.2.3", wide), "operator_allowance");
    assert.equal(classify("11.0.0.0", wide), "public");
    assert.equal(classify("169.254.1.1", wide), "operator_allowance");
    assert.equal(classify("169.254.169.254", wide), "metadata_address_denied:instance_metadata");
    assert.equal(classify("100.100.100.200", wide), "metadata_address_denied:alibaba_metadata");
    assert.equal(classify("fd00:ec2::254", wide), "metadata_address_denied:aws_metadata_ipv6");
    assert.equal(classify("fd00::1", wide), "operator_allowance");
    assert.equal(classify("172.16.0.1", wide), "address_denied:private_use");
    const exact = createEgressPolicy({ allowCidrs: ["169.254.169.254/32"] });
    assert.equal(classify("169.254.169.254", exact), "operator_allowance");
    assert.equal(classify("169.254.169.253", exact), "metadata_address_denied:aws_dns_resolver");
  });

  test("an allowed host name skips range rules for its answers, never the metadata list", () => {
    const policy = createEgressPolicy();
    assert.deepEqual(checkAddress("10.0.0.5", policy, { hostAllowed: true }), {
      ok: true,
      address: "10.0.0.5",
      family: 4,
      basis: "allowed_host",
    });
    assert.equal(checkAddress("169.254.169.254", policy, { hostAllowed: true }).ok, false);
    assert.equal(checkAddress("fe80::1%eth0", policy, { hostAllowed: true }).ok, false);
  });

  test("never throws, whatever it is given", () => {
    for (const value of [undefined, null, 42, {}, [], Symbol("x")]) {
      const verdict = checkAddress(value as unknown as string);
      assert.deepEqual(verdict, { ok: false, reason: "address_invalid", range: "not_an_address" });
    }
  });
});
