/**
 * @module The pinned lookup handed to net/tls.connect: resolves through the policy, checks every
 * answer and hands the socket only those vetted addresses, in the same call. No second resolution.
 */
import type { LookupAddress } from "node:dns";
import type { LookupFunction } from "node:net";
import type { EgressPolicy } from "./create-egress-policy.ts";
import { EgressError } from "./egress-error.ts";
import { notifyObserver } from "./egress-observer.ts";
import { resolveHost } from "./resolve-host.ts";

export function createGuardedLookup(policy: EgressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    const name = hostname.endsWith(".") ? hostname.slice(0, -1) : hostname;
    resolveHost(hostname, policy.isAllowedHost(name), policy).then(
      (resolution) => {
        if (!resolution.ok) {
          notifyObserver(policy.observer, "onBlockedConnection", resolution.reason, {
            stage: "connect",
            host: hostname,
            rule: resolution.rule,
            cached: resolution.cached,
            ...(resolution.address === undefined ? {} : { address: resolution.address }),
            ...(resolution.cause === undefined ? {} : { cause: resolution.cause }),
          });
          callback(new EgressError(resolution.reason), "");
          return;
        }
        const wanted = options.family === 4 || options.family === 6 ? options.family : undefined;
        const addresses: LookupAddress[] = resolution.addresses
          .filter((entry) => wanted === undefined || entry.family === wanted)
          .map((entry) => ({ address: entry.address, family: entry.family }));
        const first = addresses[0];
        if (first === undefined) callback(new EgressError("resolve_empty"), "");
        else if (options.all === true) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      () => callback(new EgressError("resolve_failed"), ""),
    );
  };
}
