/**
 * @module store/store-types
 * The storage interface the core depends on (users, tokens, enrollments, usage records, quota counters);
 * SQLite now, PostgreSQL later.
 */

import type { Capability } from "../config/feature-schema.ts";
import type { StoredFingerprint } from "../keys/pepper-ring.ts";
import type { ProviderId } from "../keys/provider-ids.ts";

/** Milliseconds since the Unix epoch. */
export type Timestamp = number;

export interface UserRecord {
  readonly id: string;
  readonly plan: string | null;
  readonly createdAt: Timestamp;
  readonly revokedAt: Timestamp | null;
}

export interface TokenRecord {
  /** Lowercase hex SHA-256 of the token; the token itself is never stored. */
  readonly hash: string;
  readonly userId: string;
  readonly createdAt: Timestamp;
  readonly revokedAt: Timestamp | null;
}

export interface EnrollmentRecord {
  readonly userId: string;
  readonly fingerprints: Readonly<Partial<Record<ProviderId, StoredFingerprint>>>;
  /** Normalized custom endpoint base URL, when custom is enrolled. */
  readonly customBaseUrl: string | null;
  readonly customModel: string | null;
  /** What the user declared their custom endpoint can do; absent or null: nothing declared. */
  readonly customCapabilities?: readonly Capability[] | null;
  readonly enrolledAt: Timestamp;
  readonly lastSeenAt: Timestamp;
}

export interface UserRepository {
  /** Inserts a user; `false` when the id is taken. */
  create(user: UserRecord): Promise<boolean>;
  get(id: string): Promise<UserRecord | null>;
  list(): Promise<UserRecord[]>;
  /** Marks a user revoked and revokes all their tokens; `false` when there is no such user. */
  revoke(id: string, at: Timestamp): Promise<boolean>;
  /** Sets (or with null clears) a user's plan; `false` when there is no such user. */
  setPlan(id: string, plan: string | null): Promise<boolean>;
}

export interface TokenRepository {
  add(token: TokenRecord): Promise<void>;
  findByHash(hash: string): Promise<TokenRecord | null>;
}

export interface EnrollmentRepository {
  get(userId: string): Promise<EnrollmentRecord | null>;
  /**
   * Replaces the user's enrollment whole and answers the one it replaced (null when there was none), read
   * in the same transaction after the puts of that user before it committed: two puts of one user at once
   * take turns, and the second answers what the first wrote (what decides which open calls to cut).
   */
  put(enrollment: EnrollmentRecord): Promise<EnrollmentRecord | null>;
  /** Renews `lastSeenAt`; `false` when there is no enrollment. */
  touch(userId: string, at: Timestamp): Promise<boolean>;
  /** Re-stores one fingerprint (pepper rotation) only if it still holds `previous`. */
  replaceFingerprint(
    userId: string,
    provider: ProviderId,
    previous: StoredFingerprint,
    next: StoredFingerprint,
  ): Promise<boolean>;
  delete(userId: string): Promise<boolean>;
}

/** Whose key served a call: the user's own (never limited by plans) or the operator's. */
export type UsageSource = "byok" | "operator";

/** What plans limit. `tokens` is input + output. */
export const METERS = ["requests", "input_tokens", "output_tokens", "tokens", "audio_seconds"] as const;
export type Meter = (typeof METERS)[number];

/** One served call, as metering records it (append-only). */
export interface UsageRecord {
  /**
   * Unique per record, chosen where the record is made: appending a record whose id is already stored does
   * nothing, so a batch retried after its acknowledgement was lost is never counted twice.
   */
  readonly id: string;
  readonly at: Timestamp;
  readonly userId: string;
  /** The feature the app named, or null for a direct provider/model call. */
  readonly feature: string | null;
  /** `chat`, `embeddings`, `messages`, `stt`. */
  readonly operation: string;
  readonly provider: string;
  readonly model: string;
  readonly source: UsageSource;
  /** The HTTP status the client saw. */
  readonly status: number;
  /** `ok`, an error type, or `client_aborted`. */
  readonly outcome: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens: number;
  readonly audioSeconds: number;
  /** True when the tokens were estimated (a stream cut off before the provider reported usage). */
  readonly estimated: boolean;
  readonly latencyMs: number;
}

export interface UsageTotals {
  readonly requests: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly audioSeconds: number;
  /** Requests whose tokens were estimated. */
  readonly estimatedRequests: number;
}

export interface UsageQuery {
  /** One user, or every user when omitted. */
  readonly userId?: string;
  /** Inclusive start and exclusive end. */
  readonly from: Timestamp;
  readonly to: Timestamp;
}

export interface UsageSummaryRow extends UsageTotals {
  readonly userId: string;
  readonly feature: string | null;
  readonly source: UsageSource;
}

export interface UsageSeriesRow extends UsageTotals {
  /** The bucket's start (UTC hour or day). */
  readonly bucketStart: Timestamp;
  readonly source: UsageSource;
}

export interface UsageRepository {
  append(records: readonly UsageRecord[]): Promise<void>;
  /** Totals grouped by user, feature and source over [from, to). */
  summarize(query: UsageQuery): Promise<UsageSummaryRow[]>;
  /** Totals per UTC hour or day and source over [from, to), in bucket order. */
  series(query: UsageQuery & { readonly bucket: "hour" | "day" }): Promise<UsageSeriesRow[]>;
  /** Deletes at most `maxRows` records made before `before` (oldest first); returns how many. */
  prune(before: Timestamp, maxRows: number): Promise<number>;
}

/** One quota counter: a meter of one user in one period window, for all features (`*`) or a group. */
export interface CounterKey {
  readonly userId: string;
  readonly meter: Meter;
  /** `*` for a plan-wide limit, else the limit's feature-group name. */
  readonly scope: string;
  /** The UTC start of the period window (day or month) the counter belongs to. */
  readonly periodStart: Timestamp;
}

export interface CounterCharge {
  readonly key: CounterKey;
  readonly amount: number;
  readonly limit: number;
}

export type ChargeResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly key: CounterKey; readonly used: number; readonly limit: number };

/** A reservation's id, chosen by the caller (unique per call): what `settle` names. */
export type ReservationId = string;

/** One counter a call reserves on before it runs. */
export interface CounterReservation {
  readonly key: CounterKey;
  /** What the call holds until it settles: its upper bound (1 request, estimated input + max output tokens); 0 holds nothing. */
  readonly amount: number;
  /**
   * What must still fit under the limit for the call to be admitted: refused as `spent` when
   * `committed + fit > limit`, as `held` when only the live reservations of other calls make
   * `committed + reserved + fit > limit`. 1 for a request; a tiny positive number to admit while
   * anything is left; the client's `max_tokens` on output meters.
   */
  readonly fit: number;
  readonly limit: number;
}

export type ReserveResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** The refused reservation's own key object. */
      readonly key: CounterKey;
      /** `spent`: committed usage alone leaves no room (a 402); `held`: in-flight reservations do (wait, retry). */
      readonly reason: "spent" | "held";
      readonly committed: number;
      /** Live reservations on the counter (expired leases excluded). */
      readonly reserved: number;
      readonly limit: number;
    };

/** What a settled call adds to one counter: its actual usage (a negative delta returns an earlier charge). */
export interface CounterSettlement {
  readonly key: CounterKey;
  readonly delta: number;
}

/** How long a settle's marker is kept (a replay later than this could count its usage twice). */
export const SETTLE_MARKER_KEEP_MS = 30 * 60_000;

/**
 * A durable counter whose period started this long ago is deleted (store/start-periodic-prune.ts, hourly):
 * every period (a day, a month) ended a month before, so nothing reads or charges it again; the usage
 * records keep the history.
 */
export const ENDED_COUNTER_KEEP_MS = 62 * 86_400_000;

export interface SettleOptions {
  /** A failed settle tried again: applied only when no settle of the same id left its marker. */
  readonly replay?: boolean;
}

/** A counter's committed usage and what live reservations hold on it. */
export interface CounterState {
  readonly committed: number;
  readonly reserved: number;
}

/**
 * Exact quota counters, each holding what was **committed** (usage that happened) and what is **reserved**
 * by in-flight calls (leases that expire). Every method is atomic across every caller of the store (no
 * read-then-write race), so Redis or PostgreSQL can implement the same across replicas:
 *
 * - `reserve`: all reservations are held, or none when any is refused;
 * - `settle`: drops a call's reservations and adds its actual usage to `committed`, in one step;
 * - `renew`: extends a live call's leases (an ended lease stays ended);
 * - a reservation whose lease expired (its process died) no longer counts, and is swept.
 */
export interface QuotaCounterRepository {
  /** Adds to `committed` all-or-nothing, refused when `committed + amount` would pass a limit (live usage). */
  tryCharge(charges: readonly CounterCharge[]): Promise<ChargeResult>;
  /** Holds `amount` on each counter under `id` until `settle`, or until `expiresAt` (a lease). */
  reserve(
    id: ReservationId,
    reservations: readonly CounterReservation[],
    lease: { readonly now: Timestamp; readonly expiresAt: Timestamp },
  ): Promise<ReserveResult>;
  /**
   * Drops every reservation held under `id` (expired or not) and adds each delta to `committed` (never below
   * zero), in one step. Settling an unknown or already settled id only applies the deltas. Each settle
   * leaves a marker of `id` for some minutes: a `replay` (an earlier attempt failed, maybe after it ran)
   * applies nothing when a settle of `id` already ran, so a call's usage counts once.
   */
  settle(
    id: ReservationId,
    settlements: readonly CounterSettlement[],
    options?: SettleOptions,
  ): Promise<void>;
  /**
   * Extends every reservation held under `id` whose lease is still live at `lease.now` to end at
   * `lease.expiresAt` (never earlier than it already ends), in one step: a call that is still running keeps
   * its hold. A lease that already ended is not revived (others may have taken its room since); the
   * number of reservations renewed says so (0: none left, the call was settled or its lease ended).
   */
  renew(
    id: ReservationId,
    lease: { readonly now: Timestamp; readonly expiresAt: Timestamp },
  ): Promise<number>;
  /**
   * Deletes reservations whose lease ended at or before `now`; returns how many. Durable stores also prune
   * settle markers older than SETTLE_MARKER_KEEP_MS before `now`.
   */
  sweepExpired(now: Timestamp): Promise<number>;
  /** Adds `delta` (negative returns a charge) to `committed` without a limit check, never below zero. */
  adjust(key: CounterKey, delta: number): Promise<void>;
  /** Committed values, 0 for counters never charged, in the order of `keys`. */
  read(keys: readonly CounterKey[]): Promise<number[]>;
  /** Committed and live reserved values at `now`, in the order of `keys`. */
  readState(keys: readonly CounterKey[], now: Timestamp): Promise<CounterState[]>;
}

export interface Store {
  readonly kind: string;
  /**
   * Rows a prune should delete per statement, when the store's statements run on the event loop (SQLite:
   * each one stalls every request while it runs); absent: the pruner's default.
   */
  readonly pruneBatch?: number;
  readonly users: UserRepository;
  readonly tokens: TokenRepository;
  readonly enrollments: EnrollmentRepository;
  readonly usage: UsageRepository;
  readonly counters: QuotaCounterRepository;
  /** Cheap liveness probe for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
