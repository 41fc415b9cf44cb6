/**
 * @module store/sqlite/create-sqlite-quota-counter-repository
 * Exact quota counters in SQLite: committed usage and leased reservations, each change checked and applied under one write lock.
 * Leases are read on the caller's clock as given: the file is one machine's, and every process on it reads
 * the same clock (the shared stores, PostgreSQL and Redis, time leases by their own instead).
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
import type { SqliteConnection } from "./open-sqlite-connection.ts";

const KEY = "user_id = ? AND meter = ? AND scope = ? AND period_start = ?";
const SELECT_USED = `SELECT used FROM quota_counters WHERE ${KEY}`;
const ADD = `INSERT INTO quota_counters (user_id, meter, scope, period_start, used) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (user_id, meter, scope, period_start) DO UPDATE SET used = used + excluded.used`;
const ADJUST = `INSERT INTO quota_counters (user_id, meter, scope, period_start, used) VALUES (?, ?, ?, ?, max(?, 0))
  ON CONFLICT (user_id, meter, scope, period_start) DO UPDATE SET used = max(used + ?, 0)`;

const SELECT_RESERVED = `SELECT COALESCE(SUM(amount), 0) AS reserved FROM quota_reservations
  WHERE ${KEY} AND expires_at > ?`;
const SWEEP_COUNTER = `DELETE FROM quota_reservations WHERE ${KEY} AND expires_at <= ?`;
const HOLD = `INSERT INTO quota_reservations (id, user_id, meter, scope, period_start, amount, expires_at)
  VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (id, user_id, meter, scope, period_start) DO UPDATE SET amount = amount + excluded.amount`;
const RELEASE = "DELETE FROM quota_reservations WHERE id = ?";
const RENEW = "UPDATE quota_reservations SET expires_at = max(expires_at, ?) WHERE id = ? AND expires_at > ?";
const SWEEP = "DELETE FROM quota_reservations WHERE expires_at <= ?";
const MARK = "INSERT INTO quota_settled (id, settled_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING";
const PRUNE_MARKS = "DELETE FROM quota_settled WHERE settled_at <= ?";

const columns = (key: CounterKey) => [key.userId, key.meter, key.scope, key.periodStart] as const;
const identity = (key: CounterKey) => JSON.stringify(columns(key));

export function createSqliteQuotaCounterRepository(connection: SqliteConnection): QuotaCounterRepository {
  const { sql, transaction } = connection;
  const usedNow = (key: CounterKey): number => {
    const row = sql(SELECT_USED).get(...columns(key)) as { used: number } | undefined;
    return row?.used ?? 0;
  };

  const reservedNow = (key: CounterKey, now: number): number => {
    const row = sql(SELECT_RESERVED).get(...columns(key), now) as { reserved: number };
    return row.reserved;
  };

  return {
    /**
     * Everything between BEGIN IMMEDIATE and COMMIT is synchronous, so no other call on this connection,
     * nor any other connection or process on the file, can read or write a counter in between. Charges
     * are checked first (a key charged twice in one call sees its own earlier charge), and written only
     * when all pass. A refusal reports the charge's own `key` object and the value before it.
     */
    async tryCharge(charges): Promise<ChargeResult> {
      if (charges.length === 0) return { ok: true };
      for (const charge of charges) {
        assertCounterNumber("amount", charge.amount, "finite ≥ 0");
        // Any limit, even a negative one (which refuses everything); ±Infinity too.
        assertCounterNumber("limit", charge.limit, "non-NaN");
      }
      return transaction((): ChargeResult => {
        const pending = new Map<string, number>();
        for (const { key, amount, limit } of charges) {
          const id = identity(key);
          const used = pending.get(id) ?? usedNow(key);
          if (used + amount > limit) return { ok: false, key, used, limit };
          pending.set(id, used + amount);
        }
        const add = sql(ADD);
        for (const { key, amount } of charges) {
          if (amount > 0) add.run(...columns(key), amount);
        }
        return { ok: true };
      });
    },

    /**
     * Under one write lock: expired leases on each counter are swept, then every reservation is checked
     * against committed usage (`spent`) and committed plus live reservations (`held`, other calls' and this
     * call's earlier entries), and all are held only when all pass.
     */
    async reserve(id, reservations, lease): Promise<ReserveResult> {
      if (reservations.length === 0) return { ok: true };
      assertReservationArguments(id, reservations, lease);
      return transaction((): ReserveResult => {
        const pending = new Map<string, number>();
        for (const { key, amount, fit, limit } of reservations) {
          const id = identity(key);
          sql(SWEEP_COUNTER).run(...columns(key), lease.now);
          const committed = usedNow(key);
          const reserved = reservedNow(key, lease.now) + (pending.get(id) ?? 0);
          if (committed + fit > limit) return { ok: false, key, reason: "spent", committed, reserved, limit };
          if (committed + reserved + fit > limit)
            return { ok: false, key, reason: "held", committed, reserved, limit };
          pending.set(id, (pending.get(id) ?? 0) + amount);
        }
        const hold = sql(HOLD);
        for (const { key, amount } of reservations) {
          if (amount > 0) hold.run(id, ...columns(key), amount, lease.expiresAt);
        }
        return { ok: true };
      });
    },

    /** Leaves its marker in the same transaction; a replay whose marker exists applies nothing. */
    async settle(id, settlements, options) {
      for (const settlement of settlements) assertCounterNumber("delta", settlement.delta, "finite");
      transaction(() => {
        const marked = Number(sql(MARK).run(id, Date.now()).changes);
        if (options?.replay === true && marked === 0) return;
        sql(RELEASE).run(id);
        const adjust = sql(ADJUST);
        for (const { key, delta } of settlements) {
          if (delta !== 0) adjust.run(...columns(key), delta, delta);
        }
      });
    },

    /** One statement (atomic on its own): only rows still live at `now` are extended. */
    async renew(id, lease) {
      assertReservationArguments(id, [], lease);
      return Number(sql(RENEW).run(lease.expiresAt, id, lease.now).changes);
    },

    async sweepExpired(now) {
      assertCounterNumber("now", now, "finite");
      const swept = Number(sql(SWEEP).run(now).changes);
      sql(PRUNE_MARKS).run(now - SETTLE_MARKER_KEEP_MS);
      return swept;
    },

    async adjust(key, delta) {
      assertCounterNumber("delta", delta, "finite");
      sql(ADJUST).run(...columns(key), delta, delta);
    },

    async read(keys) {
      return keys.map(usedNow);
    },

    async readState(keys, now): Promise<CounterState[]> {
      return keys.map((key) => ({ committed: usedNow(key), reserved: reservedNow(key, now) }));
    },
  };
}

/**
 * Deletes at most `maxRows` counters of periods that started before `before` (long over: see
 * ENDED_COUNTER_KEEP_MS); an index on period_start keeps a round with nothing to delete cheap.
 */
export function pruneEndedSqliteCounters(
  connection: SqliteConnection,
  before: number,
  maxRows: number,
): number {
  return Number(
    connection
      .sql(`DELETE FROM quota_counters WHERE (user_id, meter, scope, period_start) IN
        (SELECT user_id, meter, scope, period_start FROM quota_counters WHERE period_start < ? LIMIT ?)`)
      .run(before, maxRows).changes,
  );
}
