/**
 * @module store/create-redis-quota-counters
 * Quota counters shared by every replica: committed usage and leased reservations in Redis, each change one
 * atomic script. The durable store (SQLite or PostgreSQL) keeps a copy of every committed change and seeds
 * a counter Redis does not hold (first touch, or Redis lost its data); docs/plans-and-quotas.md.
 */
import { GatewayError } from "../errors/gateway-error.ts";
import { assertCounterNumber, assertReservationArguments } from "./assert-counter-number.ts";
import { createQuotaHoldKeeper, type HoldsResentEvent } from "./redis/create-quota-hold-keeper.ts";
import { rateLogKey } from "./redis/create-redis-rate-operations.ts";
import type { RedisConnection, RedisReply, RedisScript } from "./redis/open-redis-connection.ts";
import {
  ADJUST,
  DROP_LEGACY,
  HIT_AND_RESERVE,
  QUOTA_SCRIPTS,
  READ_STATE,
  RENEW,
  RESERVE,
  SEED,
  SETTLE,
  SWEEP,
  TRY_CHARGE,
} from "./redis/quota-scripts.ts";
import type {
  CounterKey,
  CounterReservation,
  CounterSettlement,
  CounterState,
  QuotaCounterRepository,
  ReserveResult,
} from "./store-types.ts";

export interface RedisQuotaCountersOptions {
  readonly connection: RedisConnection;
  /** The durable counters: seeds Redis, and receives every committed change (best effort, reported). */
  readonly durable: QuotaCounterRepository;
  /** A committed change Redis applied but the durable store did not take (Redis stays right). */
  readonly onDurableFailed?: (error: unknown) => void;
  /** Failed settles waiting to be replayed beyond this many are dropped, oldest first; default 10,000. */
  readonly maxPendingSettles?: number;
  /** Settles dropped from the replay queue (their usage is missing from the quota, not from usage records). */
  readonly onSettleDropped?: (count: number) => void;
  /** After Redis lost its data, admissions wait this long for every replica to re-send its holds; default 5 s. */
  readonly fenceGraceMs?: number;
  /** This replica's holds are all in Redis again after it showed a new epoch. */
  readonly onHoldsResent?: (event: HoldsResentEvent) => void;
  /** A hold could not be re-sent (tried again shortly). */
  readonly onResendFailed?: (error: unknown) => void;
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
}

/** How often failed settles are replayed while some wait (also at once when the connection comes back). */
const REPLAY_EVERY_MS = 1_000;
/** Reservations hashes a sweep reads per SCAN page and per script call. */
const SWEEP_PAGE = 100;

const text = (value: number) =>
  value === Number.POSITIVE_INFINITY ? "inf" : value === Number.NEGATIVE_INFINITY ? "-inf" : String(value);
const identity = (key: CounterKey) => JSON.stringify([key.userId, key.meter, key.scope, key.periodStart]);

const unavailable = () =>
  new GatewayError("quota_unavailable", {
    message: "Quotas cannot be checked for a moment (the shared counters cannot be reached); retry shortly.",
    headers: { "retry-after": "1" },
  });

/** A settle waits for this before its round trip, so the answer that ended the call is written first. */
const afterThisTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createRedisQuotaCounters(options: RedisQuotaCountersOptions): RedisQuotaCounters {
  const { connection, durable } = options;
  connection.preload(QUOTA_SCRIPTS);
  const counterKey = (key: CounterKey) => connection.key("quota", identity(key));
  const heldKey = (key: CounterKey) => connection.key("quota-held", identity(key));
  const indexKey = (id: string) => connection.key("quota-res", id);
  const settledKey = (id: string) => connection.key("quota-settled", id);
  const graceMs = options.fenceGraceMs ?? 5_000;
  // The holds of this replica's calls in flight, re-sent when Redis lost them (the fence, in the reserves).
  const keeper = createQuotaHoldKeeper({ ...options, graceMs, indexKey, settledKey });
  // Earlier versions listed every reservations hash ever written in this set, never emptied: dropped at start
  // and on every reconnect (replicas of an earlier version may still add to it during a rolling upgrade).
  const dropLegacy = () =>
    void connection.run(DROP_LEGACY, [connection.fixedKey("quota-active")], []).catch(() => undefined);
  if (connection.status === "up") dropLegacy();

  /** Redis failing to answer is a 503 `quota_unavailable`, never an unexplained 500. */
  async function run(script: RedisScript, keys: string[], args: (string | number)[]): Promise<RedisReply> {
    try {
      return await connection.run(script, keys, args);
    } catch {
      throw unavailable();
    }
  }

  /** Seeds the named counters from the durable store, then runs the script again (at most a few times). */
  async function runSeeded(
    script: RedisScript,
    keys: string[],
    args: (string | number)[],
    counterAt: (keyIndex: number) => CounterKey,
  ): Promise<RedisReply[]> {
    for (let attempt = 0; ; attempt++) {
      const reply = (await run(script, keys, args)) as RedisReply[];
      if (reply[0] !== "seed") return reply;
      // Seeds that never stick (keys evicted as fast as they are written): refuse rather than pass unchecked.
      if (attempt >= 3) throw unavailable();
      const indexes = reply.slice(1).map(Number);
      const seeds = await durable.read(indexes.map(counterAt));
      await run(
        SEED,
        indexes.map((index) => keys[index - 1]!),
        seeds.map((value) => text(value)),
      );
    }
  }

  /** The durable copy of a committed change; it never fails the call (Redis already holds it). */
  async function mirror(changes: readonly { key: CounterKey; delta: number }[]): Promise<void> {
    for (const { key, delta } of changes) {
      if (delta === 0) continue;
      try {
        await durable.adjust(key, delta);
      } catch (error) {
        options.onDurableFailed?.(error);
      }
    }
  }

  /** Drops whatever is held under `id` (a settle with nothing to add). */
  const release = (id: string) => run(SETTLE, [indexKey(id), settledKey(id)], [connection.hash(id), "0"]);

  /** One settle as a script call: a first attempt, or a replay that applies only if no settle of `id` ran. */
  const settleOnce = (id: string, settlements: readonly CounterSettlement[], replay: boolean) =>
    runSeeded(
      SETTLE,
      [indexKey(id), ...settlements.map((entry) => counterKey(entry.key)), settledKey(id)],
      [connection.hash(id), ...settlements.map((entry) => text(entry.delta)), replay ? "1" : "0"],
      (index) => settlements[index - 2]!.key,
    ).then((reply) => {
      keeper.forget(id); // its hold is gone from Redis: never re-sent
      return reply;
    });

  // A settle that failed (Redis away, or its answer lost) is replayed until it lands: its usage must reach
  // the quota, once. The replay applies nothing when the failed attempt had in fact run (its marker).
  const maxPending = options.maxPendingSettles ?? 10_000;
  const pending = new Map<string, readonly CounterSettlement[]>();
  let replaying = false;
  let replayTimer: NodeJS.Timeout | undefined;
  const scheduleReplay = () => {
    if (replayTimer !== undefined || pending.size === 0) return;
    replayTimer = setTimeout(() => {
      replayTimer = undefined;
      void replay();
    }, REPLAY_EVERY_MS);
    replayTimer.unref();
  };
  async function replay(): Promise<void> {
    if (replaying) return;
    replaying = true;
    try {
      for (const [id, settlements] of pending) {
        try {
          await settleOnce(id, settlements, true);
        } catch {
          break; // still away: the next round tries again
        }
        pending.delete(id);
        await mirror(settlements);
      }
    } finally {
      replaying = false;
      scheduleReplay();
    }
  }
  connection.onStatus((status) => {
    if (status !== "up") return;
    dropLegacy();
    void replay();
  });
  const keepForReplay = (id: string, settlements: readonly CounterSettlement[]) => {
    pending.delete(id);
    pending.set(id, settlements);
    if (pending.size > maxPending) {
      const oldest = pending.keys().next().value as string;
      pending.delete(oldest);
      options.onSettleDropped?.(1);
    }
    scheduleReplay();
  };

  const repository: RedisQuotaCounters = {
    async tryCharge(charges) {
      if (charges.length === 0) return { ok: true };
      for (const charge of charges) {
        assertCounterNumber("amount", charge.amount, "finite ≥ 0");
        assertCounterNumber("limit", charge.limit, "non-NaN");
      }
      const keys = charges.map((charge) => counterKey(charge.key));
      const args = [
        charges.length,
        ...charges.flatMap((charge) => [text(charge.amount), text(charge.limit)]),
      ];
      const reply = await runSeeded(TRY_CHARGE, keys, args, (index) => charges[index - 1]!.key);
      if (reply[0] === "refused") {
        const charge = charges[Number(reply[1]) - 1]!;
        return { ok: false, key: charge.key, used: Number(reply[2]), limit: charge.limit };
      }
      await mirror(charges.map((charge) => ({ key: charge.key, delta: charge.amount })));
      return { ok: true };
    },

    async reserve(id, reservations, lease): Promise<ReserveResult> {
      if (reservations.length === 0) return { ok: true };
      const reply = await runReserve(RESERVE, id, reservations, lease, [], []);
      return reserveResult(reply, reservations);
    },

    async hitAndReserve(hit, id, reservations, lease) {
      if (!Number.isSafeInteger(hit.limit) || hit.limit < 1)
        throw new RangeError("limit must be a positive integer");
      if (!Number.isFinite(hit.windowMs) || hit.windowMs <= 0)
        throw new RangeError("windowMs must be positive");
      if (reservations.length === 0) throw new RangeError("a reservation is required");
      const reply = await runReserve(
        HIT_AND_RESERVE,
        id,
        reservations,
        lease,
        [rateLogKey(connection, hit.key)],
        [hit.now === undefined ? "" : hit.now, hit.limit, hit.windowMs, hit.eventId],
      );
      if (reply[0] === "rate") return { ok: false, reason: "rate", retryAfterSeconds: Number(reply[1]) };
      return reserveResult(reply, reservations);
    },

    async settle(id, settlements, settleOptions) {
      for (const settlement of settlements) assertCounterNumber("delta", settlement.delta, "finite");
      await afterThisTurn();
      const replay = settleOptions?.replay === true;
      let reply: RedisReply[];
      try {
        reply = await settleOnce(id, settlements, replay);
      } catch (error) {
        keepForReplay(id, settlements);
        throw error; // reported by the caller; the replay makes it count, once
      }
      if (reply[0] !== "already") await mirror(settlements);
    },

    async renew(id, lease) {
      assertReservationArguments(id, [], lease);
      const heldHere = keeper.renewing(id, lease);
      const reply = await run(
        RENEW,
        [indexKey(id)],
        [connection.hash(id), text(lease.now), text(lease.expiresAt)],
      );
      // A live hold of this replica Redis no longer has: it lost its data. Put it back (the call runs on).
      if (Number(reply) === 0 && heldHere)
        return keeper.restore(id).catch(() => Promise.reject(unavailable()));
      return Number(reply);
    },

    // Not needed for correctness (a reserve drops its counter's ended holds, every hash expires), so nothing
    // calls it on Redis; it walks the reservations hashes a SCAN page at a time, each page one script.
    async sweepExpired(now) {
      assertCounterNumber("now", now, "finite");
      let swept = 0;
      try {
        for await (const page of connection.scanKind("quota-held", SWEEP_PAGE)) {
          swept += Number(await run(SWEEP, page, [text(now)]));
        }
      } catch (error) {
        throw error instanceof GatewayError ? error : unavailable();
      }
      return swept;
    },

    async adjust(key, delta) {
      assertCounterNumber("delta", delta, "finite");
      await runSeeded(ADJUST, [counterKey(key)], [text(delta)], () => key);
      await mirror([{ key, delta }]);
    },

    async read(keys) {
      return (await readState(keys, 0)).map((state) => state.committed);
    },
    readState,
  };
  return repository;

  function reserveResult(reply: RedisReply[], reservations: readonly CounterReservation[]): ReserveResult {
    if (reply[0] !== "spent" && reply[0] !== "held") return { ok: true };
    const refused = reservations[Number(reply[1]) - 1]!;
    return {
      ok: false,
      key: refused.key,
      reason: reply[0],
      committed: Number(reply[2]),
      reserved: Number(reply[3]),
      limit: refused.limit,
    };
  }

  /** `RESERVE` or `HIT_AND_RESERVE` (its extra keys and arguments after the reservation's), seeded. */
  async function runReserve(
    script: RedisScript,
    id: string,
    reservations: readonly CounterReservation[],
    lease: { readonly now: number; readonly expiresAt: number },
    extraKeys: readonly string[],
    extraArgs: readonly (string | number)[],
  ): Promise<RedisReply[]> {
    assertReservationArguments(id, reservations, lease);
    const keys = reservations.flatMap((entry) => [counterKey(entry.key), heldKey(entry.key)]);
    keys.push(indexKey(id), ...extraKeys, ...keeper.fenceKeys);
    const args = [
      text(lease.now),
      text(lease.expiresAt),
      connection.hash(id),
      reservations.length,
      ...reservations.flatMap((entry) => [text(entry.amount), text(entry.fit), text(entry.limit)]),
      ...extraArgs,
      graceMs,
    ];
    const sentAt = keeper.generation;
    let reply: RedisReply[];
    try {
      reply = await runSeeded(script, keys, args, (index) => reservations[(index + 1) / 2 - 1]!.key);
    } catch (error) {
      // A reserve that timed out may still have run on Redis: its hold would block the quota until the
      // lease ends. Release it now (sent on the same connection, so it runs after the reserve); if Redis
      // is really away, the lease ends it instead.
      void release(id).catch(() => undefined);
      throw error;
    }
    // Redis lost its data a moment ago (or never held any): refused until every replica re-sent its holds.
    if (reply[0] === "fenced") {
      keeper.noteEpoch(String(reply[1]));
      throw unavailable();
    }
    const holds = reservations.map((entry) => ({ heldKey: heldKey(entry.key), amount: entry.amount }));
    if (reply[0] === "ok") keeper.held(id, holds, lease, sentAt);
    return reply;
  }

  async function readState(keys: readonly CounterKey[], now: number): Promise<CounterState[]> {
    if (keys.length === 0) return [];
    const redisKeys = keys.flatMap((key) => [counterKey(key), heldKey(key)]);
    const reply = (await run(READ_STATE, redisKeys, [text(now)])) as string[];
    const absent = keys.filter((_, index) => reply[2 * index] === "");
    // Counters Redis does not hold yet read from the durable store (and are seeded for the next call).
    const seeds = absent.length > 0 ? await durable.read(absent) : [];
    if (absent.length > 0) {
      await run(
        SEED,
        absent.map((key) => counterKey(key)),
        seeds.map((value) => text(value)),
      );
    }
    let next = 0;
    return keys.map((_, index) => ({
      committed: reply[2 * index] === "" ? seeds[next++]! : Number(reply[2 * index]),
      reserved: Number(reply[2 * index + 1]),
    }));
  }
}
