/**
 * @module store/postgres/postgres-counter-statements
 * The quota counters' statements, each over a whole set of counters at once (arrays through unnest), so a
 * reservation or a settlement costs a fixed number of round trips, however many counters it touches.
 */
import type { CounterKey } from "../store-types.ts";
import type { Queryable } from "./open-postgres-pool.ts";

/**
 * The server's clock in ms: what leases are timed by unless a test gives its own (a `now` parameter of
 * null), so that replicas whose clocks differ agree on when a lease ends.
 */
export const SERVER_NOW = "(extract(epoch from clock_timestamp()) * 1000)::bigint";
/** The lease clock: parameter `param` (the caller's time), or the server's when it is null. */
export const leaseNow = (param: string) => `COALESCE(${param}::bigint, ${SERVER_NOW})`;

/** The counters as four parallel arrays: `$1` users, `$2` meters, `$3` scopes, `$4` period starts. */
const KEYS = "unnest($1::text[], $2::text[], $3::text[], $4::bigint[])";
const MATCH = (alias: string) =>
  `${alias}.user_id = k.user_id AND ${alias}.meter = k.meter AND ${alias}.scope = k.scope AND ${alias}.period_start = k.period_start`;

/**
 * Creates each counter at 0 when absent and locks its row until COMMIT, in the order given (the rows are
 * inserted in `n` order, and each waits for its lock before the next); returns the committed values.
 */
const LOCK = `INSERT INTO quota_counters AS c (user_id, meter, scope, period_start, used)
  SELECT k.user_id, k.meter, k.scope, k.period_start, 0
  FROM ${KEYS} WITH ORDINALITY AS k(user_id, meter, scope, period_start, n) ORDER BY k.n
  ON CONFLICT (user_id, meter, scope, period_start) DO UPDATE SET used = c.used
  RETURNING user_id, meter, scope, period_start, used`;

/**
 * Sweeps each counter's ended leases and sums its live ones (run after LOCK: a fresh snapshot); `$5` now,
 * or null for the server's clock.
 */
const RESERVED = `WITH t AS (SELECT ${leaseNow("$5")} AS now),
  k AS (SELECT * FROM ${KEYS} AS k(user_id, meter, scope, period_start)),
  swept AS (DELETE FROM quota_reservations r USING k, t WHERE ${MATCH("r")} AND r.expires_at <= t.now)
  SELECT k.user_id, k.meter, k.scope, k.period_start,
    COALESCE((SELECT SUM(r.amount) FROM quota_reservations r, t WHERE ${MATCH("r")} AND r.expires_at > t.now), 0) AS reserved
  FROM k`;

/**
 * `$5` amounts, `$6` the reservation id, `$7` now (null: the server's clock), `$8` the lease's length; one
 * row per counter.
 */
const HOLD = `INSERT INTO quota_reservations AS r (id, user_id, meter, scope, period_start, amount, expires_at)
  SELECT $6, k.user_id, k.meter, k.scope, k.period_start, k.amount, ${leaseNow("$7")} + $8::bigint
  FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::double precision[])
    AS k(user_id, meter, scope, period_start, amount)
  ON CONFLICT (id, user_id, meter, scope, period_start) DO UPDATE SET amount = r.amount + excluded.amount`;

/** `$5` deltas, one row per (locked, existing) counter; never below zero. */
const ADD = `UPDATE quota_counters c SET used = GREATEST(c.used + k.delta, 0)
  FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::double precision[])
    AS k(user_id, meter, scope, period_start, delta)
  WHERE ${MATCH("c")}`;

export const HELD_KEYS = `SELECT DISTINCT user_id, meter, scope, period_start FROM quota_reservations WHERE id = $1`;
export const RELEASE = "DELETE FROM quota_reservations WHERE id = $1";

interface KeyRow {
  user_id: string;
  meter: CounterKey["meter"];
  scope: string;
  period_start: number;
}

export const identity = (key: CounterKey) =>
  JSON.stringify([key.userId, key.meter, key.scope, key.periodStart]);
const rowIdentity = (row: KeyRow) => JSON.stringify([row.user_id, row.meter, row.scope, row.period_start]);
export const keyOfRow = (row: KeyRow): CounterKey => ({
  userId: row.user_id,
  meter: row.meter,
  scope: row.scope,
  periodStart: row.period_start,
});

const arrays = (keys: readonly CounterKey[]) => [
  keys.map((key) => key.userId),
  keys.map((key) => key.meter),
  keys.map((key) => key.scope),
  keys.map((key) => key.periodStart),
];

/** The distinct keys in binary order of their identities: every transaction locks counters in this one order. */
function inLockOrder(keys: Iterable<CounterKey>): CounterKey[] {
  const unique = new Map<string, CounterKey>();
  for (const key of keys) unique.set(identity(key), key);
  return [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, key]) => key);
}

/** Locks the counters (created at 0 when absent) in lock order; committed values by identity. */
export async function lockCounters(
  client: Queryable,
  keys: Iterable<CounterKey>,
): Promise<Map<string, number>> {
  const ordered = inLockOrder(keys);
  const committed = new Map<string, number>();
  if (ordered.length === 0) return committed;
  const { rows } = await client.query<KeyRow & { used: number }>(LOCK, arrays(ordered));
  for (const row of rows) committed.set(rowIdentity(row), row.used);
  return committed;
}

/**
 * Live reserved amounts at `now` (null: the server's clock) by identity, ended leases swept; the counters
 * must be locked already.
 */
export async function reservedOn(
  client: Queryable,
  keys: Iterable<CounterKey>,
  now: number | null,
): Promise<Map<string, number>> {
  const ordered = inLockOrder(keys);
  const { rows } = await client.query<KeyRow & { reserved: number }>(RESERVED, [...arrays(ordered), now]);
  return new Map(rows.map((row) => [rowIdentity(row), row.reserved]));
}

/**
 * Adds each amount to the reservation `id` holds on its counter (amounts of one counter summed first); a
 * new hold ends `lengthMs` after `now` (null: the server's clock).
 */
export async function hold(
  client: Queryable,
  id: string,
  amounts: ReadonlyMap<string, { readonly key: CounterKey; readonly amount: number }>,
  now: number | null,
  lengthMs: number,
): Promise<void> {
  const entries = [...amounts.values()].filter((entry) => entry.amount > 0);
  if (entries.length === 0) return;
  const keys = entries.map((entry) => entry.key);
  await client.query(HOLD, [...arrays(keys), entries.map((entry) => entry.amount), id, now, lengthMs]);
}

/**
 * Adds each delta to its (locked) counter, never below zero. Deltas of one counter apply one after the
 * other (the floor at zero makes their order matter), so those go in statements of their own.
 */
export async function addTo(
  client: Queryable,
  deltas: ReadonlyArray<{ readonly key: CounterKey; readonly delta: number }>,
): Promise<void> {
  let pending = deltas.filter((entry) => entry.delta !== 0);
  while (pending.length > 0) {
    const seen = new Set<string>();
    const batch: typeof pending = [];
    const rest: typeof pending = [];
    for (const entry of pending) {
      const id = identity(entry.key);
      if (seen.has(id)) rest.push(entry);
      else {
        seen.add(id);
        batch.push(entry);
      }
    }
    await client.query(ADD, [...arrays(batch.map((entry) => entry.key)), batch.map((entry) => entry.delta)]);
    pending = rest;
  }
}
