/**
 * @module store/sqlite/create-sqlite-quota-counter-repository
 * Exact quota counters in SQLite: all-or-nothing charges checked and applied under one write lock.
 */
import type { ChargeResult, CounterKey, QuotaCounterRepository } from "../store-types.ts";
import type { SqliteConnection } from "./open-sqlite-connection.ts";

const KEY = "user_id = ? AND meter = ? AND scope = ? AND period_start = ?";
const SELECT_USED = `SELECT used FROM quota_counters WHERE ${KEY}`;
const ADD = `INSERT INTO quota_counters (user_id, meter, scope, period_start, used) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (user_id, meter, scope, period_start) DO UPDATE SET used = used + excluded.used`;
const ADJUST = `INSERT INTO quota_counters (user_id, meter, scope, period_start, used) VALUES (?, ?, ?, ?, max(?, 0))
  ON CONFLICT (user_id, meter, scope, period_start) DO UPDATE SET used = max(used + ?, 0)`;

const columns = (key: CounterKey) => [key.userId, key.meter, key.scope, key.periodStart] as const;
const identity = (key: CounterKey) => JSON.stringify(columns(key));

/** Programming errors, thrown before any write: counters are never silently clamped or poisoned with NaN. */
function assertNumber(name: string, value: number, range: "finite" | "finite ≥ 0" | "non-NaN"): void {
  const valid =
    typeof value === "number" &&
    !Number.isNaN(value) &&
    (range === "non-NaN" || Number.isFinite(value)) &&
    (range !== "finite ≥ 0" || value >= 0);
  if (!valid) throw new RangeError(`${name} must be a ${range} number, got ${String(value)}`);
}

export function createSqliteQuotaCounterRepository(connection: SqliteConnection): QuotaCounterRepository {
  const { sql, transaction } = connection;
  const usedNow = (key: CounterKey): number => {
    const row = sql(SELECT_USED).get(...columns(key)) as { used: number } | undefined;
    return row?.used ?? 0;
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
        assertNumber("amount", charge.amount, "finite ≥ 0");
        // Any limit, even a negative one (which refuses everything); ±Infinity too.
        assertNumber("limit", charge.limit, "non-NaN");
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

    async adjust(key, delta) {
      assertNumber("delta", delta, "finite");
      sql(ADJUST).run(...columns(key), delta, delta);
    },

    async read(keys) {
      return keys.map(usedNow);
    },
  };
}
