/**
 * @module Resolves a host name through the policy's resolver (with a time limit) and checks every
 * answer: one denied address denies the host. Only rejections are cached, never a positive verdict.
 */
import { checkAddress } from "./check-address.ts";
import type { CachedRejection, EgressPolicy } from "./create-egress-policy.ts";
import type { EgressDenyReason } from "./egress-deny-reasons.ts";

export interface VettedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

export type HostResolution =
  | { readonly ok: true; readonly addresses: readonly VettedAddress[] }
  | {
      readonly ok: false;
      readonly reason: EgressDenyReason;
      readonly rule: string;
      readonly cached: boolean;
      /** The refused answer, for the log only. */
      readonly address?: string;
      /** The resolver's error code, for the log only. */
      readonly cause?: string;
    };

type HostRejection = Extract<HostResolution, { ok: false }>;

const cacheableResolverCodes = new Set(["ENOTFOUND", "ENODATA"]);
const timedOut = Symbol("timed out");

/** `allowed`: the name is on the operator's allowHosts list (answers skip the range rules). */
export async function resolveHost(
  hostname: string,
  allowed: boolean,
  policy: EgressPolicy,
): Promise<HostResolution> {
  const cached = policy.rejections?.get(hostname);
  if (cached !== undefined) return { ok: false, reason: cached.reason, rule: cached.rule, cached: true };
  let answers: unknown;
  try {
    answers = await withTimeLimit(policy.resolver(hostname), policy.resolveTimeoutMs);
  } catch (error) {
    const cause = errorCode(error);
    const rejection: CachedRejection = { reason: "resolve_failed", rule: cause };
    if (cacheableResolverCodes.has(cause)) policy.rejections?.set(hostname, rejection);
    return { ...rejection, ok: false, cached: false, cause };
  }
  if (answers === timedOut)
    return { ok: false, reason: "resolve_timeout", rule: "resolve_timeout", cached: false };
  if (!Array.isArray(answers) || answers.length === 0) {
    return reject(policy, hostname, { reason: "resolve_empty", rule: "no_answers" });
  }
  const addresses: VettedAddress[] = [];
  for (const answer of answers as unknown[]) {
    const text = (answer as { address?: unknown } | null)?.address;
    const verdict = checkAddress(typeof text === "string" ? text : "", policy, { hostAllowed: allowed });
    if (!verdict.ok) {
      return {
        ...reject(policy, hostname, { reason: verdict.reason, rule: verdict.range }),
        address: String(text),
      };
    }
    if (!addresses.some((known) => known.address === verdict.address)) {
      addresses.push({ address: verdict.address, family: verdict.family });
    }
  }
  return { ok: true, addresses };
}

function reject(policy: EgressPolicy, hostname: string, rejection: CachedRejection): HostRejection {
  policy.rejections?.set(hostname, rejection);
  return { ok: false, reason: rejection.reason, rule: rejection.rule, cached: false };
}

function withTimeLimit<T>(promise: Promise<T>, ms: number): Promise<T | typeof timedOut> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<typeof timedOut>((resolve) => {
    timer = setTimeout(resolve, ms, timedOut).unref(); // a stuck resolver must not hold the process
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[A-Z0-9_]{1,40}$/.test(code) ? code : "resolver_error";
}
