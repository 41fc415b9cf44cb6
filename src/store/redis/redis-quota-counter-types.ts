/**
 * @module store/redis/redis-quota-counter-types
 * The shapes of the Redis quota counters (store/create-redis-quota-counters.ts): their options, the
 * rate-limit hit taken with a reservation, and the repository with its one-round-trip admission.
 */
import type { ReplayDropReason } from "../create-replay-queue.ts";
import type { CounterReservation, QuotaCounterRepository, ReserveResult } from "../store-types.ts";
import type { EvictionPolicyEvent, HoldsResentEvent } from "./create-quota-hold-keeper.ts";
import type { RedisConnection } from "./open-redis-connection.ts";

export interface RedisQuotaCountersOptions {
  readonly connection: RedisConnection;
  /** The durable counters: seeds Redis, and receives every committed change as a settle of its own id. */
  readonly durable: QuotaCounterRepository;
  /** A committed change Redis applied but the durable store did not take yet (kept, and replayed). */
  readonly onDurableFailed?: (error: unknown) => void;
  /** Durable copies waiting to be replayed beyond this many are dropped, oldest first; default 10,000. */
  readonly maxPendingMirrors?: number;
  /**
   * How long a failed durable copy is replayed before it is dropped instead; default and most: half of
   * SETTLE_MARKER_KEEP_MS (a later replay could find its first attempt's marker pruned and count twice).
   */
  readonly mirrorReplayForMs?: number;
  /** Durable copies given up (the bound, their age, or still failing at close): Redis has them, PostgreSQL not. */
  readonly onMirrorDropped?: (count: number, reason: ReplayDropReason) => void;
  /** Durable copies that landed on a replay. */
  readonly onMirrorReplayed?: (count: number) => void;
  /** Failed settles waiting to be replayed beyond this many are dropped, oldest first; default 10,000. */
  readonly maxPendingSettles?: number;
  /** Settles dropped from the replay queue (their usage is missing from the quota, not from usage records). */
  readonly onSettleDropped?: (count: number) => void;
  /**
   * The clock leases are timed by. `store` (the default): Redis's own (`TIME`), the one every replica reads
   * alike; a lease's `expiresAt - now` is only its length. `caller`: the lease's `now` and `expiresAt` as
   * given (tests with fake times; one replica's clock ahead by more than a lease would sweep live holds).
   */
  readonly clock?: "store" | "caller";
  /** After Redis lost its data, admissions wait this long for every replica to re-send its holds; default 5 s. */
  readonly fenceGraceMs?: number;
  /** This replica's holds are all in Redis again after it showed a new epoch. */
  readonly onHoldsResent?: (event: HoldsResentEvent) => void;
  /** A hold could not be re-sent (tried again shortly). */
  readonly onResendFailed?: (error: unknown) => void;
  /**
   * Redis's `maxmemory-policy` (`INFO memory`), read at start and on every reconnect, told when it changes:
   * under an `allkeys-*` policy quotas cannot be exact and the fence is off (docs/deployment.md, "Redis").
   */
  readonly onEvictionPolicy?: (event: EvictionPolicyEvent) => void;
}

/** A rate-limit hit taken in the same step as a reservation (the Redis rate limiter's sliding log). */
export interface SharedRateHit {
  /** The rate limiter's opaque key (`rpm:<user>`), hashed into the same Redis key the limiter uses. */
  readonly key: string;
  readonly limit: number;
  readonly windowMs: number;
  /** The log's member for this hit: unique per call. */
  readonly eventId: string;
  /** The caller's clock (tests); absent: Redis's own, as the rate limiter reads it. */
  readonly now?: number;
}

/** `reserve`'s answer, or the hit refused (nothing reserved) with the whole seconds to wait. */
export type HitAndReserveResult =
  | ReserveResult
  | { readonly ok: false; readonly reason: "rate"; readonly retryAfterSeconds: number };

export interface RedisQuotaCounters extends QuotaCounterRepository {
  /**
   * The rate-limit hit and the reservation in one atomic script (one round trip): a refused hit reserves
   * nothing; a passed hit stays counted when the reservation is refused (as when they run apart).
   */
  hitAndReserve(
    hit: SharedRateHit,
    id: string,
    reservations: readonly CounterReservation[],
    lease: { readonly now: number; readonly expiresAt: number },
  ): Promise<HitAndReserveResult>;
  /** Replays once more what waits (settles, then durable copies) and reports what still cannot land as dropped. */
  close(): Promise<void>;
}
