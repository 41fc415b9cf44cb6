/**
 * @module validateBaseUrl: the pure async validator for a user-chosen base URL. Never throws; answers
 * the normalized URL with its vetted addresses, or a stable reason code with a fixed safe message.
 */
import {
  createEgressPolicy,
  type EgressPolicy,
  type EgressPolicyOptions,
  isEgressPolicy,
} from "./create-egress-policy.ts";
import { type EgressDenyReason, egressDenyReasons } from "./egress-deny-reasons.ts";
import { type EgressEventDetails, notifyObserver } from "./egress-observer.ts";
import { parseEgressUrl } from "./parse-egress-url.ts";
import { resolveHost, type VettedAddress } from "./resolve-host.ts";

export type UrlVerdict =
  | { readonly ok: true; readonly url: URL; readonly addresses: readonly VettedAddress[] }
  | { readonly ok: false; readonly reason: EgressDenyReason; readonly message: string };

let defaultPolicy: EgressPolicy | undefined;

/**
 * Validates `input` as a base URL. `options` is either a policy made once by createEgressPolicy
 * (shares its rejection cache) or plain options (a policy is built for this call; invalid options
 * answer `policy_invalid`). Without options: the strict default policy and the system resolver.
 */
export async function validateBaseUrl(
  input: string,
  options?: EgressPolicyOptions | EgressPolicy,
): Promise<UrlVerdict> {
  let policy: EgressPolicy;
  try {
    policy = selectPolicy(options);
  } catch {
    return deny("policy_invalid");
  }
  try {
    return await validateWithPolicy(input, policy);
  } catch {
    // Defensive: a resolver or observer misbehaving in an unforeseen way is still a clean "no".
    return deny("resolve_failed");
  }
}

async function validateWithPolicy(input: string, policy: EgressPolicy): Promise<UrlVerdict> {
  const parsed = parseEgressUrl(input, policy, "base");
  if (!parsed.ok)
    return report(policy, parsed.reason, { stage: "validate", host: parsed.host, rule: parsed.rule });
  const { url, target } = parsed;
  if (target.kind === "address")
    return { ok: true, url, addresses: [{ address: target.address, family: target.family }] };
  const resolution = await resolveHost(url.hostname, target.allowed, policy);
  if (resolution.ok) return { ok: true, url, addresses: resolution.addresses };
  return report(policy, resolution.reason, {
    stage: "validate",
    host: url.hostname,
    rule: resolution.rule,
    cached: resolution.cached,
    ...(resolution.address === undefined ? {} : { address: resolution.address }),
    ...(resolution.cause === undefined ? {} : { cause: resolution.cause }),
  });
}

function selectPolicy(options: EgressPolicyOptions | EgressPolicy | undefined): EgressPolicy {
  if (isEgressPolicy(options)) return options;
  if (options !== undefined) return createEgressPolicy(options);
  defaultPolicy ??= createEgressPolicy();
  return defaultPolicy;
}

function report(policy: EgressPolicy, reason: EgressDenyReason, details: EgressEventDetails): UrlVerdict {
  notifyObserver(policy.observer, "onDenied", reason, details);
  return deny(reason);
}

function deny(reason: EgressDenyReason): UrlVerdict {
  return { ok: false, reason, message: egressDenyReasons[reason] };
}
