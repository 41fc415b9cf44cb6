/**
 * @module createGuardedDispatcher: an undici Agent whose every new socket goes through the pinned
 * connector, with header and body-idle time limits (the headers limit held against informational heads too).
 * Pooled sockets keep the address they were vetted for.
 */
import type { EgressPolicy } from "./create-egress-policy.ts";
import { createGuardedConnector } from "./create-guarded-connector.ts";
import { limitInformationalHeads } from "./limit-informational-heads.ts";
import { type EgressLimits, parseEgressLimits, type ResolvedEgressLimits } from "./parse-egress-limits.ts";
import { Agent, Pool } from "./undici-parts.ts";

export function createGuardedDispatcher(policy: EgressPolicy, limits: EgressLimits = {}): Agent {
  return createAgent(policy, parseEgressLimits(limits));
}

export function createAgent(policy: EgressPolicy, limits: ResolvedEgressLimits): Agent {
  const informational = limitInformationalHeads(limits.headersTimeoutMs);
  return new Agent({
    // Each origin's pool behind the interceptor: undici refreshes its headers timer on every 1xx head.
    factory: (origin, options) => new Pool(origin, options).compose(informational),
    connect: createGuardedConnector(policy, limits),
    headersTimeout: limits.headersTimeoutMs,
    bodyTimeout: limits.bodyIdleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // An upstream's `Keep-Alive: timeout=N` may shorten the idle limit, never lengthen it (undici's cap is 600 s).
    keepAliveMaxTimeout: limits.keepAliveTimeoutMs,
    connections: limits.maxConnectionsPerOrigin,
    allowH2: false,
  });
}
