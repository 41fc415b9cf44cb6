/**
 * @module The host names refused before any resolution: loopback aliases, cloud metadata names and
 * special-use suffixes. Compared after WHATWG normalization with one trailing dot removed.
 */

export const deniedHostNames: ReadonlySet<string> = new Set([
  "localhost",
  "localhost.localdomain",
  "ip6-localhost",
  "ip6-loopback",
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "instance-data",
  "instance-data.ec2.internal",
  "metadata.tencentyun.com",
  "metadata.platformequinix.com",
  "kubernetes.default",
  "kubernetes.default.svc",
]);

/** Names under these suffixes are local by definition (RFC 6761, RFC 6762, RFC 8375, ICANN .internal). */
export const deniedHostSuffixes: readonly string[] = [
  ".localhost",
  ".localdomain",
  ".local",
  ".internal",
  ".home.arpa",
  ".in-addr.arpa",
  ".ip6.arpa",
];
