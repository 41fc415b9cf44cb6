/**
 * @module createEgressPolicy: validates the operator's options once (every problem reported
 * together), freezes them, and holds the bounded rejection cache and the observer.
 */
import { LRUCache } from "lru-cache";
import { metadataAddresses } from "./address-ranges.ts";
import { EgressConfigError } from "./egress-config-error.ts";
import type { EgressDenyReason } from "./egress-deny-reasons.ts";
import type { EgressObserver } from "./egress-observer.ts";
import { type Cidr, cidrAddress, cidrContains, parseCidr } from "./parse-cidr.ts";
import { parseHostAllowance } from "./parse-host-allowance.ts";
import { type EgressResolver, systemResolver } from "./system-resolver.ts";

export interface EgressPolicyOptions {
  /** Shape of `dns.promises.lookup(name, {all: true})`. Default: the system resolver. */
  readonly resolver?: EgressResolver;
  /** Host names (or `*.suffix` patterns) whose answers may be private; metadata addresses stay denied. */
  readonly allowHosts?: readonly string[];
  /** CIDRs (or bare addresses) that may be reached although special-purpose. */
  readonly allowCidrs?: readonly string[];
  /** Hosts that may be reached over plain http (never in production). */
  readonly allowHttpHosts?: readonly string[];
  /** Refuse plain http entirely. Setting allowHttpHosts as well is a configuration error. */
  readonly production?: boolean;
  /** Judge 64:ff9b::/96 addresses as the IPv4 they embed instead of denying them. */
  readonly unwrapNat64?: boolean;
  /** Time allowed for one resolution. Default 5000 ms. */
  readonly resolveTimeoutMs?: number;
  /** Longest accepted URL in UTF-16 units. Default 2048. */
  readonly maxUrlLength?: number;
  /** Bounded cache of negative verdicts per host name (never positive ones). Default 1024 entries, 0 disables. */
  readonly rejectionCacheSize?: number;
  /** How long a cached rejection lives. Default 30000 ms. */
  readonly rejectionCacheTtlMs?: number;
  readonly observer?: EgressObserver;
}

export interface CachedRejection {
  readonly reason: EgressDenyReason;
  readonly rule: string;
}

export interface EgressPolicyDescription {
  readonly production: boolean;
  readonly unwrapNat64: boolean;
  readonly allowHosts: readonly string[];
  readonly allowCidrs: readonly string[];
  readonly allowHttpHosts: readonly string[];
  readonly resolveTimeoutMs: number;
  readonly warnings: readonly string[];
}

export interface EgressPolicy {
  readonly kind: "egress_policy";
  readonly production: boolean;
  readonly unwrapNat64: boolean;
  readonly allowCidrs: readonly Cidr[];
  readonly resolver: EgressResolver;
  readonly resolveTimeoutMs: number;
  readonly maxUrlLength: number;
  readonly observer: EgressObserver;
  /** Negative verdicts only; `undefined` when disabled. */
  readonly rejections: LRUCache<string, CachedRejection> | undefined;
  isAllowedHost(name: string): boolean;
  isHttpAllowed(hostname: string): boolean;
  /** The allowances and their warnings, for the start-up log. */
  describe(): EgressPolicyDescription;
}

/** Builds the policy or throws EgressConfigError listing every problem. */
export function createEgressPolicy(options: EgressPolicyOptions = {}): EgressPolicy {
  const problems: string[] = [];
  const allowHosts = parseList(options.allowHosts, "allowHosts", problems, (entry) =>
    parseHostAllowance(entry, { wildcards: true, addresses: false }),
  );
  const allowHttpHosts = parseList(options.allowHttpHosts, "allowHttpHosts", problems, (entry) =>
    parseHostAllowance(entry, { wildcards: false, addresses: true }),
  );
  const allowCidrs = parseList(options.allowCidrs, "allowCidrs", problems, (entry) => {
    const result = typeof entry === "string" ? parseCidr(entry) : undefined;
    return result?.ok === true
      ? { ok: true, value: result.cidr }
      : { ok: false, message: result?.message ?? "" };
  });
  const production = readBoolean(options.production, "production", problems);
  const unwrapNat64 = readBoolean(options.unwrapNat64, "unwrapNat64", problems);
  if (production && (options.allowHttpHosts?.length ?? 0) > 0) {
    problems.push("allowHttpHosts is set but production mode refuses plain http");
  }
  const resolveTimeoutMs = readCount(options.resolveTimeoutMs, 5000, "resolveTimeoutMs", problems, 1);
  const maxUrlLength = readCount(options.maxUrlLength, 2048, "maxUrlLength", problems, 1);
  const cacheSize = readCount(options.rejectionCacheSize, 1024, "rejectionCacheSize", problems, 0);
  const cacheTtl = readCount(options.rejectionCacheTtlMs, 30_000, "rejectionCacheTtlMs", problems, 0);
  if (options.resolver !== undefined && typeof options.resolver !== "function") {
    problems.push("resolver must be a function");
  }
  if (problems.length > 0) throw new EgressConfigError(problems);

  const exactHosts = new Set(allowHosts.filter((host) => !host.startsWith("*.")));
  const hostSuffixes = allowHosts.filter((host) => host.startsWith("*.")).map((host) => host.slice(1));
  const httpHosts = new Set(allowHttpHosts);
  const description: EgressPolicyDescription = Object.freeze({
    production,
    unwrapNat64,
    allowHosts: Object.freeze([...allowHosts]),
    allowCidrs: Object.freeze(allowCidrs.map((range) => range.text)),
    allowHttpHosts: Object.freeze([...allowHttpHosts]),
    resolveTimeoutMs,
    warnings: Object.freeze(describeWarnings(allowCidrs)),
  });
  return Object.freeze({
    kind: "egress_policy",
    production,
    unwrapNat64,
    allowCidrs: Object.freeze(allowCidrs),
    resolver: options.resolver ?? systemResolver,
    resolveTimeoutMs,
    maxUrlLength,
    observer: options.observer ?? {},
    rejections:
      cacheSize > 0 && cacheTtl > 0
        ? // Bounded by count through maxSize (each entry counts 1), not `max`, which allocates every slot up front.
          new LRUCache<string, CachedRejection>({
            maxSize: cacheSize,
            sizeCalculation: () => 1,
            ttl: cacheTtl,
          })
        : undefined,
    isAllowedHost: (name: string) =>
      exactHosts.has(name) || hostSuffixes.some((suffix) => name.endsWith(suffix)),
    isHttpAllowed: (hostname: string) => !production && httpHosts.has(stripTrailingDot(hostname)),
    describe: () => description,
  } satisfies EgressPolicy);
}

export function isEgressPolicy(value: unknown): value is EgressPolicy {
  return (
    typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "egress_policy"
  );
}

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

function parseList<T>(
  entries: readonly unknown[] | undefined,
  field: string,
  problems: string[],
  parse: (entry: unknown) => Parsed<T>,
): T[] {
  if (entries === undefined) return [];
  if (!Array.isArray(entries)) {
    problems.push(`${field} must be an array`);
    return [];
  }
  const values: T[] = [];
  for (const entry of entries) {
    const result = parse(entry);
    if (result.ok) values.push(result.value);
    else problems.push(`${field}: ${result.message || `${JSON.stringify(entry)} is not valid`}`);
  }
  return values;
}

function readBoolean(value: unknown, field: string, problems: string[]): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") problems.push(`${field} must be a boolean`);
  return value === true;
}

function readCount(value: unknown, fallback: number, field: string, problems: string[], min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    problems.push(`${field} must be an integer >= ${min}`);
    return fallback;
  }
  return value;
}

function describeWarnings(allowCidrs: readonly Cidr[]): string[] {
  const warnings: string[] = [];
  for (const range of allowCidrs) {
    if (range.prefix < (range.family === 4 ? 8 : 16)) {
      warnings.push(`allowCidrs entry ${range.text} is very wide: it opens most special-purpose addresses`);
    }
    const opened = metadataAddresses.find((entry) => sameCidr(entry.range, range));
    if (opened !== undefined) warnings.push(`allowCidrs entry ${range.text} opens ${opened.name}`);
  }
  return warnings;
}

function sameCidr(left: Cidr, right: Cidr): boolean {
  return left.prefix === right.prefix && cidrContains(left, cidrAddress(right));
}

function stripTrailingDot(hostname: string): string {
  return hostname.endsWith(".") ? hostname.slice(0, -1) : hostname;
}
