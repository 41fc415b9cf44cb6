/**
 * @module store/postgres/create-postgres-quota-counter-repository
 * Exact quota counters in PostgreSQL across replicas: each change runs in one transaction that first locks
 * its counter rows in one fixed key order (so concurrent multi-counter calls never deadlock), then checks and writes.
 */

import { assertCounterNumber, assertReservationArguments } from "../assert-counter-number.ts";
import type {
  ChargeResult,
  CounterKey,
  CounterState,
  QuotaCounterRepository,
  ReserveResult,
} from "../store-types.ts";
import { SETTLE_MARKER_KEEP_MS } from "../store-types.ts";
import type { PostgresPool, Queryable } from "./open-postgres-pool.ts";
import {
  addTo,
  HELD_KEYS,
  hold,
  identity,
  keyOfRow,
  leaseNow,
  lockCounters,
  RELEASE,
  reservedOn,
} from "./postgres-counter-statements.ts";

export interface PostgresQuotaCounterOptions {
  /**
   * The clock leases (and settle markers) are timed by. `store` (the default): the server's, the one every
   * replica reads alike; a lease's `expiresAt - now` is only its length. `caller`: the given times (tests with
   * fake times; a replica whose clock is ahead by more than a lease would sweep other replicas' live holds).
   */
  readonly clock?: "store" | "caller";
}

const KEY = "user_id = $1 AND meter = $2 AND scope = $3 AND period_start = $4";
const ADJUST = `INSERT INTO quota_counters AS c (user_id, meter, scope, period_start, used)
  VALUES ($1, $2, $3, $4, GREATEST($5::double precision, 0))
  ON CONFLICT (user_id, meter, scope, period_start) DO UPDATE SET used = GREATEST(c.used + $5, 0)`;
const SELECT_STATE = `SELECT
  COALESCE((SELECT used FROM quota_counters WHERE ${KEY}), 0) AS committed,
  COALESCE((SELECT SUM(amount) FROM quota_reservations WHERE ${KEY} AND expires_at > ${leaseNow("$5")}), 0) AS reserved`;
/** `$1` the lease's length, `$2` the id, `$3` now (null here and below: the server's clock). */
const RENEW = `UPDATE quota_reservations SET expires_at = GREATEST(expires_at, t.now + $1::bigint)
  FROM (SELECT ${leaseNow("$3")} AS now) t WHERE id = $2 AND expires_at > t.now`;
const SWEEP = `DELETE FROM quota_reservations WHERE expires_at <= ${leaseNow("$1")}`;
const MARK = `INSERT INTO quota_settled (id, settled_at) VALUES ($1, ${leaseNow("$2")}) ON CONFLICT (id) DO NOTHING`;
/** `$1` now, `$2` how long a marker is kept. */
const PRUNE_MARKS = `DELETE FROM quota_settled WHERE settled_at <= ${leaseNow("$1")} - $2::bigint`;

const columns = (key: CounterKey) => [key.userId, key.meter, key.scope, key.periodStart] as const;

/** ±Infinity limits compare in JavaScript, never in SQL. */
export function createPostgresQuotaCounterRepository(
  pool: PostgresPool,
  options: PostgresQuotaCounterOptions = {},
): QuotaCounterRepository {
  // The caller's time, or null: the statements then read the server's clock (`leaseNow`).
  const callerClock = options.clock === "caller";
  const nowArg = (now: number) => (callerClock ? now : null);
  const stateOf = async (client: Queryable, key: CounterKey, now: number): Promise<CounterState> => {
    const { rows } = await client.query<CounterState>(SELECT_STATE, [...columns(key), nowArg(now)]);
    return rows[0] ?? { committed: 0, reserved: 0 };
  };

  return {
    /** Checks in the given order (a key charged twice sees its own earlier charge); writes only when all pass. */
    async tryCharge(charges): Promise<ChargeResult> {
      if (charges.length === 0) return { ok: true };
      for (const charge of charges) {
        assertCounterNumber("amount", charge.amount, "finite ≥ 0");
        assertCounterNumber("limit", charge.limit, "non-NaN");
      }
      return pool.transaction(async (client): Promise<ChargeResult> => {
        const pending = await lockCounters(
          client,
          charges.map((charge) => charge.key),
        );
        for (const { key, amount, limit } of charges) {
          const id = identity(key);
          const used = pending.get(id) ?? 0;
          if (used + amount > limit) return { ok: false, key, used, limit };
          pending.set(id, used + amount);
        }
        await addTo(
          client,
          charges.map(({ key, amount }) => ({ key, delta: amount })),
        );
        return { ok: true };
      });
    },

    /** Under the counters' locks: expired leases swept, each reservation checked (`spent`, then `held`), all held or none. */
    async reserve(id, reservations, lease): Promise<ReserveResult> {
      if (reservations.length === 0) return { ok: true };
      assertReservationArguments(id, reservations, lease);
      return pool.transaction(async (client): Promise<ReserveResult> => {
        const keys = reservations.map((reservation) => reservation.key);
        const committedOn = await lockCounters(client, keys);
        const reservedNow = await reservedOn(client, keys, nowArg(lease.now));
        const pending = new Map<string, { readonly key: CounterKey; amount: number }>();
        for (const { key, amount, fit, limit } of reservations) {
          const counter = identity(key);
          const committed = committedOn.get(counter) ?? 0;
          const reserved = (reservedNow.get(counter) ?? 0) + (pending.get(counter)?.amount ?? 0);
          if (committed + fit > limit) return { ok: false, key, reason: "spent", committed, reserved, limit };
          if (committed + reserved + fit > limit)
            return { ok: false, key, reason: "held", committed, reserved, limit };
          const entry = pending.get(counter);
          if (entry === undefined) pending.set(counter, { key, amount });
          else entry.amount += amount;
        }
        await hold(client, id, pending, nowArg(lease.now), lease.expiresAt - lease.now);
        return { ok: true };
      });
    },

    /**
     * Leaves its marker first (a replay whose marker exists stops there: its first attempt committed, only
     * the answer was lost), locks the counters the call held and the ones it settles (one order), then
     * releases and adds, all in one transaction.
     */
    async settle(id, settlements, options) {
      for (const settlement of settlements) assertCounterNumber("delta", settlement.delta, "finite");
      await pool.transaction(async (client) => {
        const marked = await client.query(MARK, [id, callerClock ? Date.now() : null]);
        if (options?.replay === true && marked.rowCount === 0) return;
        const { rows } = await client.query<Parameters<typeof keyOfRow>[0]>(HELD_KEYS, [id]);
        await lockCounters(client, [
          ...rows.map(keyOfRow),
          ...settlements.map((settlement) => settlement.key),
        ]);
        await client.query(RELEASE, [id]);
        await addTo(client, settlements);
      });
    },

    /** One statement (atomic on its own): only rows still live at `now` are extended (to a lease from now). */
    async renew(id, lease) {
      assertReservationArguments(id, [], lease);
      const result = await pool.query(RENEW, [lease.expiresAt - lease.now, id, nowArg(lease.now)]);
      return result.rowCount ?? 0;
    },

    async sweepExpired(now) {
      assertCounterNumber("now", now, "finite");
      const result = await pool.query(SWEEP, [nowArg(now)]);
      await pool.query(PRUNE_MARKS, [nowArg(now), SETTLE_MARKER_KEEP_MS]);
      return result.rowCount ?? 0;
    },

    async adjust(key, delta) {
      assertCounterNumber("delta", delta, "finite");
      await pool.query(ADJUST, [...columns(key), delta]);
    },

    async read(keys) {
      return Promise.all(keys.map(async (key) => (await stateOf(pool, key, 0)).committed));
    },

    async readState(keys, now): Promise<CounterState[]> {
      return Promise.all(keys.map((key) => stateOf(pool, key, now)));
    },
  };
}

/**
 * Deletes at most `maxRows` counters of periods that started before `before` (long over: see
 * ENDED_COUNTER_KEEP_MS); an index on period_start keeps a round with nothing to delete cheap.
 */
export async function pruneEndedPostgresCounters(
  pool: PostgresPool,
  before: number,
  maxRows: number,
): Promise<number> {
  const result = await pool.query(
    `DELETE FROM quota_counters WHERE ctid IN
      (SELECT ctid FROM quota_counters WHERE period_start < $1 LIMIT $2)`,
    [before, maxRows],
  );
  return result.rowCount ?? 0;
}
