/**
 * @module store/postgres/create-postgres-quota-counter-repository
 * Exact quota counters in PostgreSQL across replicas: each change runs in one transaction that first locks
 * its counter rows in one fixed key order (so concurrent multi-counter calls never deadlock), then checks and writes.
 */
import type {
  ChargeResult,
  CounterKey,
  CounterState,
  QuotaCounterRepository,
  ReserveResult,
} from "../store-types.ts";
import type { PostgresPool, Queryable } from "./open-postgres-pool.ts";

const KEY = "user_id = $1 AND meter = $2 AND scope = $3 AND period_start = $4";
/** Creates the counter at 0 when absent and locks its row until COMMIT; returns its committed value. */
const LOCK = `INSERT INTO quota_counters AS c (user_id, meter, scope, period_start, used) VALUES ($1, $2, $3, $4, 0)
  ON CONFLICT (user_id, meter, scope, period_start) DO UPDATE SET used = c.used RETURNING used`;
const ADD = `UPDATE quota_counters SET used = used + $5 WHERE ${KEY}`;
const ADJUST = `INSERT INTO quota_counters AS c (user_id, meter, scope, period_start, used)
  VALUES ($1, $2, $3, $4, GREATEST($5::double precision, 0))
  ON CONFLICT (user_id, meter, scope, period_start) DO UPDATE SET used = GREATEST(c.used + $5, 0)`;
const SELECT_STATE = `SELECT
  COALESCE((SELECT used FROM quota_counters WHERE ${KEY}), 0) AS committed,
  COALESCE((SELECT SUM(amount) FROM quota_reservations WHERE ${KEY} AND expires_at > $5), 0) AS reserved`;
const SWEEP_COUNTER = `DELETE FROM quota_reservations WHERE ${KEY} AND expires_at <= $5`;
const HOLD = `INSERT INTO quota_reservations AS r (id, user_id, meter, scope, period_start, amount, expires_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7)
  ON CONFLICT (id, user_id, meter, scope, period_start) DO UPDATE SET amount = r.amount + excluded.amount`;
const HELD_KEYS = "SELECT DISTINCT user_id, meter, scope, period_start FROM quota_reservations WHERE id = $1";
const RELEASE = "DELETE FROM quota_reservations WHERE id = $1";
const RENEW = `UPDATE quota_reservations SET expires_at = GREATEST(expires_at, $1) WHERE id = $2 AND expires_at > $3`;
const SWEEP = "DELETE FROM quota_reservations WHERE expires_at <= $1";

const columns = (key: CounterKey) => [key.userId, key.meter, key.scope, key.periodStart] as const;
const identity = (key: CounterKey) => JSON.stringify(columns(key));

/** Binary order of the keys' identities: every transaction locks counters in this one order. */
function inLockOrder(keys: Iterable<CounterKey>): CounterKey[] {
  const unique = new Map<string, CounterKey>();
  for (const key of keys) unique.set(identity(key), key);
  return [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, key]) => key);
}

/** Locks each counter (created at 0 when absent) in lock order; committed values by identity. */
async function lockCounters(client: Queryable, keys: Iterable<CounterKey>): Promise<Map<string, number>> {
  const committed = new Map<string, number>();
  for (const key of inLockOrder(keys)) {
    const { rows } = await client.query<{ used: number }>(LOCK, [...columns(key)]);
    committed.set(identity(key), rows[0]?.used ?? 0);
  }
  return committed;
}

/** Programming errors, thrown before any write: counters are never silently clamped or poisoned with NaN. */
function assertNumber(name: string, value: number, range: "finite" | "finite ≥ 0" | "non-NaN"): void {
  const valid =
    typeof value === "number" &&
    !Number.isNaN(value) &&
    (range === "non-NaN" || Number.isFinite(value)) &&
    (range !== "finite ≥ 0" || value >= 0);
  if (!valid) throw new RangeError(`${name} must be a ${range} number, got ${String(value)}`);
}

/** ±Infinity limits compare in JavaScript, never in SQL. */
export function createPostgresQuotaCounterRepository(pool: PostgresPool): QuotaCounterRepository {
  const stateOf = async (client: Queryable, key: CounterKey, now: number): Promise<CounterState> => {
    const { rows } = await client.query<CounterState>(SELECT_STATE, [...columns(key), now]);
    return rows[0] ?? { committed: 0, reserved: 0 };
  };

  return {
    /** Checks in the given order (a key charged twice sees its own earlier charge); writes only when all pass. */
    async tryCharge(charges): Promise<ChargeResult> {
      if (charges.length === 0) return { ok: true };
      for (const charge of charges) {
        assertNumber("amount", charge.amount, "finite ≥ 0");
        assertNumber("limit", charge.limit, "non-NaN");
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
        for (const { key, amount } of charges) {
          if (amount > 0) await client.query(ADD, [...columns(key), amount]);
        }
        return { ok: true };
      });
    },

    /** Under the counters' locks: expired leases swept, each reservation checked (`spent`, then `held`), all held or none. */
    async reserve(id, reservations, lease): Promise<ReserveResult> {
      if (reservations.length === 0) return { ok: true };
      if (typeof id !== "string" || id === "") throw new RangeError("a reservation id is required");
      assertNumber("now", lease.now, "finite");
      assertNumber("expiresAt", lease.expiresAt, "finite");
      for (const reservation of reservations) {
        assertNumber("amount", reservation.amount, "finite ≥ 0");
        assertNumber("fit", reservation.fit, "finite ≥ 0");
        assertNumber("limit", reservation.limit, "non-NaN");
      }
      return pool.transaction(async (client): Promise<ReserveResult> => {
        await lockCounters(
          client,
          reservations.map((reservation) => reservation.key),
        );
        const pending = new Map<string, number>();
        for (const { key, amount, fit, limit } of reservations) {
          const counter = identity(key);
          await client.query(SWEEP_COUNTER, [...columns(key), lease.now]);
          const state = await stateOf(client, key, lease.now);
          const committed = state.committed;
          const reserved = state.reserved + (pending.get(counter) ?? 0);
          if (committed + fit > limit) return { ok: false, key, reason: "spent", committed, reserved, limit };
          if (committed + reserved + fit > limit)
            return { ok: false, key, reason: "held", committed, reserved, limit };
          pending.set(counter, (pending.get(counter) ?? 0) + amount);
        }
        for (const { key, amount } of reservations) {
          if (amount > 0) await client.query(HOLD, [id, ...columns(key), amount, lease.expiresAt]);
        }
        return { ok: true };
      });
    },

    /** Locks the counters the call held and the ones it settles (one order), then releases and adds. */
    async settle(id, settlements) {
      for (const settlement of settlements) assertNumber("delta", settlement.delta, "finite");
      await pool.transaction(async (client) => {
        const { rows } = await client.query<{
          user_id: string;
          meter: CounterKey["meter"];
          scope: string;
          period_start: number;
        }>(HELD_KEYS, [id]);
        const held = rows.map((row) => ({
          userId: row.user_id,
          meter: row.meter,
          scope: row.scope,
          periodStart: row.period_start,
        }));
        await lockCounters(client, [...held, ...settlements.map((settlement) => settlement.key)]);
        await client.query(RELEASE, [id]);
        for (const { key, delta } of settlements) {
          if (delta !== 0) await client.query(ADJUST, [...columns(key), delta]);
        }
      });
    },

    /** One statement (atomic on its own): only rows still live at `now` are extended. */
    async renew(id, lease) {
      if (typeof id !== "string" || id === "") throw new RangeError("a reservation id is required");
      assertNumber("now", lease.now, "finite");
      assertNumber("expiresAt", lease.expiresAt, "finite");
      const result = await pool.query(RENEW, [lease.expiresAt, id, lease.now]);
      return result.rowCount ?? 0;
    },

    async sweepExpired(now) {
      assertNumber("now", now, "finite");
      const result = await pool.query(SWEEP, [now]);
      return result.rowCount ?? 0;
    },

    async adjust(key, delta) {
      assertNumber("delta", delta, "finite");
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
