/**
 * @module The pinned connector: checks scheme, plain-http allowance and host on every new socket;
 * IP literals (which net never looks up) are checked here, names connect only through the guarded
 * lookup. TLS SNI and certificate checks stay on the URL's host name.
 */
import type { buildConnector as UndiciConnector } from "undici";
import { checkOrigin } from "./check-origin.ts";
import type { EgressPolicy } from "./create-egress-policy.ts";
import { createGuardedLookup } from "./create-guarded-lookup.ts";
import { EgressError } from "./egress-error.ts";
import { notifyObserver } from "./egress-observer.ts";
import type { ResolvedEgressLimits } from "./parse-egress-limits.ts";
import { buildConnector } from "./undici-parts.ts";

export function createGuardedConnector(
  policy: EgressPolicy,
  limits: ResolvedEgressLimits,
): UndiciConnector.connector {
  const connect = buildConnector({
    timeout: limits.connectTimeoutMs,
    lookup: createGuardedLookup(policy),
    allowH2: false,
    ...(limits.ca === undefined ? {} : { ca: limits.ca as string | Buffer | (string | Buffer)[] }),
  });
  return (options, callback) => {
    const verdict = checkOrigin(options.protocol, options.hostname, policy);
    if (!verdict.ok) {
      notifyObserver(policy.observer, "onBlockedConnection", verdict.reason, {
        stage: "connect",
        host: options.hostname,
        rule: verdict.rule,
      });
      callback(new EgressError(verdict.reason), null);
      return;
    }
    connect(options, callback);
  };
}
