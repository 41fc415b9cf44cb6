/**
 * @module store/create-redis-quota-counters
 * Quota counters shared by every replica: committed usage and leased reservations in Redis, each change one
 * atomic script. The durable store (SQLite or PostgreSQL) keeps a copy of every committed change (replayed
 * until it lands) and seeds a counter Redis does not hold (first touch, or Redis lost its data); docs/plans-and-quotas.md.
 */
import { randomUUID } from "node:crypto";
import { GatewayError } from "../errors/gateway-error.ts";
import { assertCounterNumber, assertReservationArguments } from "./assert-counter-number.ts";
import { createReplayQueue } from "./create-replay-queue.ts";
import { createQuotaHoldKeeper } from "./redis/create-quota-hold-keeper.ts";
import { rateLogKey } from "./redis/create-redis-rate-operations.ts";
import type { RedisReply, RedisScript } from "./redis/open-redis-connection.ts";
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
import type { RedisQuotaCounters, RedisQuotaCountersOptions } from "./redis/redis-quota-counter-types.ts";
import type {
  CounterKey,
  CounterReservation,
  CounterSettlement,
  CounterState,
  ReserveResult,
} from "./store-types.ts";
import { SETTLE_MARKER_KEEP_MS } from "./store-types.ts";

export type {
  HitAndReserveResult,
  RedisQuotaCounters,
  RedisQuotaCountersOptions,
  SharedRateHit,
} from "./redis/redis-quota-counter-types.ts";

/** How often failed settles (also at once when the connection comes back) and durable copies are replayed. */
const REPLAY_EVERY_MS = 1_000;
/** The longest a failed durable copy is replayed: its marker is kept twice as long (replicas' clocks differ). */
const MIRROR_REPLAY_FOR_MS = SETTLE_MARKER_KEEP_MS / 2;
/** Reservations hashes a sweep reads per SCAN page and per script call. */
const SWEEP_PAGE = 100;

const text = (value: number) =>
  value === Number.POSITIVE_INFINITY ? "inf" : value === Number.NEGATIVE_INFINITY ? "-inf" : String(value);
type Lease = { readonly now: number; readonly expiresAt: number };
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
  // Leases are timed by Redis's clock unless a test gives its own: a script reads `TIME` when `now` is "".
  const clock = options.clock ?? "store";
  const nowArg = (now: number) => (clock === "caller" ? text(now) : "");
  const lengthOf = (lease: Lease) => text(lease.expiresAt - lease.now);
  // The holds of this replica's calls in flight, re-sent when Redis lost them (the fence, in the reserves).
  const keeper = createQuotaHoldKeeper({ ...options, graceMs, clock, indexKey, settledKey });
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

  // The durable copy of a committed change is a durable settle under an id of its own (`m:s:<settle id>`, or
  // `m:c:<fresh>` for a charge or an adjustment) holding no reservation: its marker makes the first write and
  // every replay one idempotent step, so a copy whose answer was lost but which committed counts once.
  const mirrorReplayForMs = options.mirrorReplayForMs ?? MIRROR_REPLAY_FOR_MS;
  if (!(mirrorReplayForMs > 0 && mirrorReplayForMs <= MIRROR_REPLAY_FOR_MS))
    throw new RangeError(`mirrorReplayForMs must be in (0, ${MIRROR_REPLAY_FOR_MS}]`);
  const writeCopy = (mirrorId: string, changes: readonly CounterSettlement[]) =>
    durable.settle(mirrorId, changes, { replay: true });
  const mirrors = createReplayQueue<readonly CounterSettlement[]>({
    apply: writeCopy,
    maxPending: options.maxPendingMirrors ?? 10_000,
    everyMs: REPLAY_EVERY_MS,
    maxAgeMs: mirrorReplayForMs,
    ...(options.onMirrorDropped ? { onDropped: options.onMirrorDropped } : {}),
    ...(options.onMirrorReplayed ? { onReplayed: options.onMirrorReplayed } : {}),
  });

  /** Copies a committed change to the durable store; it never fails the call (Redis already holds it). */
  async function mirror(mirrorId: string, changes: readonly CounterSettlement[]): Promise<void> {
    const nonZero = changes.filter((change) => change.delta !== 0);
    if (nonZero.length === 0) return;
    try {
      await writeCopy(mirrorId, nonZero);
    } catch (error) {
      options.onDurableFailed?.(error);
      mirrors.keep(mirrorId, nonZero); // replayed until it lands (or too old to replay safely)
    }
  }
  const freshMirrorId = () => `m:c:${randomUUID()}`;

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
  const settles = createReplayQueue<readonly CounterSettlement[]>({
    apply: async (id, settlements) => {
      await settleOnce(id, settlements, true);
      await mirror(`m:s:${id}`, settlements);
    },
    maxPending: options.maxPendingSettles ?? 10_000,
    everyMs: REPLAY_EVERY_MS,
    ...(options.onSettleDropped ? { onDropped: options.onSettleDropped } : {}),
  });
  const stopStatus = connection.onStatus((status) => {
    if (status !== "up") return;
    dropLegacy();
    void settles.replay();
  });

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
      await mirror(
        freshMirrorId(),
        charges.map((charge) => ({ key: charge.key, delta: charge.amount })),
      );
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
        settles.keep(id, settlements);
        throw error; // reported by the caller; the replay makes it count, once
      }
      if (reply[0] !== "already") await mirror(`m:s:${id}`, settlements);
    },

    async renew(id, lease) {
      assertReservationArguments(id, [], lease);
      const heldHere = keeper.renewing(id, lease);
      const reply = await run(
        RENEW,
        [indexKey(id)],
        [connection.hash(id), nowArg(lease.now), lengthOf(lease)],
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
          swept += Number(await run(SWEEP, page, [nowArg(now)]));
        }
      } catch (error) {
        throw error instanceof GatewayError ? error : unavailable();
      }
      return swept;
    },

    async adjust(key, delta) {
      assertCounterNumber("delta", delta, "finite");
      await runSeeded(ADJUST, [counterKey(key)], [text(delta)], () => key);
      await mirror(freshMirrorId(), [{ key, delta }]);
    },

    async read(keys) {
      return (await readState(keys, 0)).map((state) => state.committed);
    },
    readState,

    async close() {
      keeper.close(); // nothing of this replica's is re-sent (or an epoch created) once it is closed
      stopStatus();
      await settles.close(); // a settle replayed here writes its durable copy (or keeps it) before those close
      await mirrors.close();
    },
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
    lease: Lease,
    extraKeys: readonly string[],
    extraArgs: readonly (string | number)[],
  ): Promise<RedisReply[]> {
    assertReservationArguments(id, reservations, lease);
    const keys = reservations.flatMap((entry) => [counterKey(entry.key), heldKey(entry.key)]);
    keys.push(indexKey(id), ...extraKeys, ...keeper.fenceKeys);
    const args = [
      nowArg(lease.now),
      lengthOf(lease),
      connection.hash(id),
      reservations.length,
      ...reservations.flatMap((entry) => [text(entry.amount), text(entry.fit), text(entry.limit)]),
      ...extraArgs,
      keeper.graceMs,
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
    const reply = (await run(READ_STATE, redisKeys, [nowArg(now)])) as string[];
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
