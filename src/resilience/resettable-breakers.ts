/**
 * @module resilience/resettable-breakers
 * The breakers as the operator sees them (admin API, `byok.admin`): the attempt loop's contract plus a
 * reset that closes one upstream's breaker, on every replica when the state is shared through Redis.
 */
import type { CircuitBreakers } from "./circuit-breakers.ts";

export interface BreakerReset {
  readonly upstream: string;
  /** True when every replica was told (Redis answered); false when only this process was reset. */
  readonly shared: boolean;
}

export interface ResettableBreakers extends CircuitBreakers {
  /** Closes `upstream`'s breaker (an unknown upstream is simply closed already). */
  reset(upstream: string): Promise<BreakerReset>;
}

/** Breakers switched off (`resilience.breakers.enabled: false`): always allowed, nothing to reset. */
export const DISABLED_BREAKERS: ResettableBreakers = {
  allow: () => true,
  succeeded: () => {},
  failed: () => {},
  snapshot: () => [],
  reset: async (upstream) => ({ upstream, shared: false }),
  close: async () => {},
};
