/**
 * @module resilience
 * What happens when an upstream fails: circuit breakers per upstream, the operator's key pools, and the
 * retry and fallback policy the pipeline's attempt loop follows (docs/features-and-routing.md).
 */
export {
  type BreakerSnapshot,
  type BreakerState,
  type CircuitBreakers,
  NO_BREAKERS,
  upstreamOf,
} from "./circuit-breakers.ts";
export {
  type BreakerSettings,
  createLocalBreakers,
  type LocalBreakersOptions,
} from "./create-local-breakers.ts";
export { createSharedBreakers, type SharedBreakersOptions } from "./create-shared-breakers.ts";
export {
  createWeightedKeyPool,
  DEFAULT_KEY_POOL_TIMING,
  type KeyEvent,
  type KeyEventKind,
  type KeyPoolCounts,
  type KeyPoolHooks,
  type KeyPoolTiming,
  restTimeOf,
  type WeightedKey,
  type WeightedKeyPool,
  type WeightedKeyPoolOptions,
} from "./create-weighted-key-pool.ts";
export { type OperatorKeyPick, type OperatorKeyPool, singleKeyPool } from "./operator-key-pool.ts";
export { type BreakerReset, DISABLED_BREAKERS, type ResettableBreakers } from "./resettable-breakers.ts";
