/**
 * @module resilience/create-weighted-key-pool
 * Several operator keys for one connection: a weighted random pick among the keys neither resting (429)
 * nor taken out (401), never the last key in, with rest times from an injected clock (no timers).
 */
import type { SecretKey } from "../keys/secret-key.ts";
import type { OperatorKeyPick, OperatorKeyPool } from "./operator-key-pool.ts";

/** One configured key and its share of the picks (any positive number; shares are relative). */
export interface WeightedKey {
  readonly key: SecretKey;
  readonly weight: number;
}

/** How long a key sits out (docs/configuration.md, `keyPool`). */
export interface KeyPoolTiming {
  /** A 429 without `Retry-After` rests the key this long. */
  readonly coolDownMs: number;
  /** No 429 rests a key longer than this, whatever its `Retry-After` says. */
  readonly maxCoolDownMs: number;
  /** A 401/403 takes the key out this long; then it is tried again. */
  readonly refusedMs: number;
}

export const DEFAULT_KEY_POOL_TIMING: KeyPoolTiming = Object.freeze({
  coolDownMs: 60_000,
  maxCoolDownMs: 600_000,
  refusedMs: 900_000,
});

export type KeyEventKind = "rate_limited" | "refused";

/** What happened to a key: the connection and the key's slot, never the key. */
export interface KeyEvent {
  readonly connection: string;
  readonly slot: number;
  readonly event: KeyEventKind;
  /** How long the key now sits out. */
  readonly restMs: number;
}

/** Counts only: what `/metrics` and the admin API may show of a pool. */
export interface KeyPoolCounts {
  readonly size: number;
  /** Keys a pick may draw now. */
  readonly available: number;
  readonly resting: number;
  readonly refused: number;
}

export interface WeightedKeyPool extends OperatorKeyPool {
  counts(): KeyPoolCounts;
}

export interface WeightedKeyPoolOptions {
  /** The connection's name (a provider's id for `providers.<id>`), for events. */
  readonly connection: string;
  readonly keys: readonly WeightedKey[];
  readonly timing?: KeyPoolTiming;
  readonly now?: () => number;
  /** A number in [0, 1), like Math.random (the default). */
  readonly random?: () => number;
  /** A key started resting or was taken out: once per change, not for a key already sitting out. */
  readonly onKeyEvent?: (event: KeyEvent) => void;
}

/** How long a 429 rests a key: its `Retry-After` when usable, else the cool-down; never past the maximum. */
export function restTimeOf(retryAfterMs: number | null, timing: KeyPoolTiming): number {
  const asked = retryAfterMs !== null && Number.isFinite(retryAfterMs) ? retryAfterMs : timing.coolDownMs;
  return Math.min(Math.max(0, asked), timing.maxCoolDownMs);
}

export function createWeightedKeyPool(options: WeightedKeyPoolOptions): WeightedKeyPool {
  const { connection, keys } = options;
  if (keys.length === 0) throw new RangeError("a key pool needs at least one key");
  for (const { weight } of keys) {
    if (!Number.isFinite(weight) || weight <= 0) throw new RangeError("key weights are positive numbers");
  }
  const timing = options.timing ?? DEFAULT_KEY_POOL_TIMING;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const picks: readonly OperatorKeyPick[] = keys.map(({ key }, slot) => ({ key, slot }));
  /** Until when each slot sits out (epoch ms); 0 when it never did. */
  const outUntil = new Array<number>(keys.length).fill(0);
  /** Whether the slot's current time out is a refusal (401/403) rather than a rest (429). */
  const refusedSlot = new Array<boolean>(keys.length).fill(false);

  const isIn = (slot: number, at: number) => outUntil[slot]! <= at;
  const known = (slot: number) => Number.isInteger(slot) && slot >= 0 && slot < keys.length;
  const availableAt = (at: number) => {
    let available = 0;
    for (let slot = 0; slot < keys.length; slot++) if (isIn(slot, at)) available += 1;
    return available;
  };

  /**
   * The slot sits out until `now + restMs` (or longer, when it already sat out longer). Reported when the
   * key was in, or when a refusal overtakes a rest; a key already out for the same or a graver cause is not
   * reported again (concurrent 429s on one key make one log line).
   */
  function sitOut(slot: number, event: KeyEventKind, restMs: number): void {
    if (!known(slot)) return;
    const at = now();
    const wasIn = isIn(slot, at);
    // The last key in never sits out: one request cannot lock every user out; they get the provider's answer.
    if (wasIn && availableAt(at) <= 1) return;
    const report = wasIn || (event === "refused" && !refusedSlot[slot]);
    outUntil[slot] = wasIn ? at + restMs : Math.max(outUntil[slot]!, at + restMs);
    if (wasIn) refusedSlot[slot] = event === "refused";
    else if (event === "refused") refusedSlot[slot] = true;
    if (report) options.onKeyEvent?.({ connection, slot, event, restMs });
  }

  return {
    size: keys.length,
    pick(exclude) {
      const at = now();
      let total = 0;
      for (let slot = 0; slot < keys.length; slot++) {
        if (isIn(slot, at) && exclude?.has(slot) !== true) total += keys[slot]!.weight;
      }
      if (total === 0) return null;
      let remaining = random() * total;
      let last: OperatorKeyPick | null = null;
      for (let slot = 0; slot < keys.length; slot++) {
        if (!isIn(slot, at) || exclude?.has(slot) === true) continue;
        last = picks[slot]!;
        remaining -= keys[slot]!.weight;
        if (remaining < 0) return last;
      }
      return last; // rounding left a sliver past the last key
    },
    rateLimited(slot, retryAfterMs) {
      sitOut(slot, "rate_limited", restTimeOf(retryAfterMs, timing));
    },
    refused(slot) {
      sitOut(slot, "refused", timing.refusedMs);
    },
    counts() {
      const at = now();
      let available = 0;
      let refused = 0;
      for (let slot = 0; slot < keys.length; slot++) {
        if (isIn(slot, at)) available += 1;
        else if (refusedSlot[slot]) refused += 1;
      }
      return { size: keys.length, available, resting: keys.length - available - refused, refused };
    },
  };
}

/** What the composition root hands the routing table's pools: a clock, a random source, observers. */
export interface KeyPoolHooks {
  readonly now?: () => number;
  readonly random?: () => number;
  /** A key started resting or was taken out (the composition root logs it: connection and slot only). */
  readonly onKeyEvent?: (event: KeyEvent) => void;
  /** Every weighted pool built, with its connection (a gauge reads its counts on scrape). */
  readonly onPoolBuilt?: (connection: string, pool: WeightedKeyPool) => void;
}
