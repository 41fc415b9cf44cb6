/**
 * @module resilience/operator-key-pool
 * The operator's keys for one connection as routing draws on them: which key an operator-served attempt
 * uses, and what a key's 429 or 401/403 does to it (cooled down, taken out; never the key in a log line).
 */
import type { SecretKey } from "../keys/secret-key.ts";

/** One key drawn from a pool for one attempt; `slot` names it (logs, metrics) without revealing it. */
export interface OperatorKeyPick {
  readonly key: SecretKey;
  readonly slot: number;
}

export interface OperatorKeyPool {
  /** Keys configured (cooled or not). */
  readonly size: number;
  /**
   * A key to use now: by weight among the keys neither cooling down nor taken out, skipping `exclude`
   * (the slots this request already tried); null when none is available now.
   */
  pick(exclude?: ReadonlySet<number>): OperatorKeyPick | null;
  /** The key's attempt got 429: it rests for `retryAfterMs` (bounded by the pool) or the pool's cool-down. */
  rateLimited(slot: number, retryAfterMs: number | null): void;
  /** The provider refused the key (401/403): it is taken out for the pool's removal time. */
  refused(slot: number): void;
}

/** A pool of one key that never rests: the `apiKey` form, and the default until pools are configured. */
export function singleKeyPool(key: SecretKey): OperatorKeyPool {
  const pick: OperatorKeyPick = { key, slot: 0 };
  return {
    size: 1,
    pick: (exclude) => (exclude?.has(0) === true ? null : pick),
    rateLimited: () => {},
    refused: () => {},
  };
}
