/**
 * @module store/redis/create-redis-rate-operations
 * The rate limiter's atomic Redis operations, one Lua script (one round trip) each, timed by Redis's own
 * clock so every replica agrees: a sliding log per key, and concurrency slots held as expiring leases.
 */
import { defineRedisScript, type RedisConnection } from "./open-redis-connection.ts";

/**
 * The time in ms: the caller's clock when given (tests move it), else Redis's own, the one every replica
 * reads alike (their clocks may differ). ARGV[1] is always the caller's time or "".
 */
const NOW = `local now = tonumber(ARGV[1])
if not now then local t = redis.call('TIME') now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end`;

/**
 * The sliding-log hit as a Lua function, shared with the admission script (`quota-scripts.ts`, one round
 * trip for a hit and a quota reservation). `hit(key, a)` reads ARGV[a + 1..a + 4]: the caller's time or "",
 * limit, windowMs, member. → 0 passed (and counted), else the seconds to wait (≥ 1).
 */
export const HIT_FUNCTION = `
local function hit(key, a)
  local now = tonumber(ARGV[a + 1])
  if not now then local t = redis.call('TIME') now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end
  local limit = tonumber(ARGV[a + 2]) local window = tonumber(ARGV[a + 3])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count >= limit then
    local oldest = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    local wait = math.ceil((tonumber(oldest[2]) + window - now) / 1000)
    if wait < 1 then wait = 1 end
    return wait
  end
  redis.call('ZADD', key, now, ARGV[a + 4])
  redis.call('PEXPIRE', key, math.ceil(window))
  return 0
end
`;

/** KEYS: log. ARGV: now, limit, windowMs, member. → 0 passed, else the seconds to wait (≥ 1). */
const HIT = defineRedisScript(`${HIT_FUNCTION}
return hit(KEYS[1], 0)`);

/** KEYS: slots. ARGV: now, max, leaseMs, slot id. → 1 taken, 0 refused. Ended leases are dropped first. */
const TAKE_SLOT = defineRedisScript(`${NOW}
local lease = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + lease, ARGV[4])
local longest = tonumber(redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2])
redis.call('PEXPIRE', KEYS[1], math.max(1, longest - now))
return 1`);

/** KEYS: slots. ARGV: now, leaseMs, slot id. → 1 renewed, 0 when the lease already ended (not revived). */
const RENEW_SLOT = defineRedisScript(`${NOW}
local ends = redis.call('ZSCORE', KEYS[1], ARGV[3])
if not ends or tonumber(ends) <= now then return 0 end
local lease = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[3])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < lease then redis.call('PEXPIRE', KEYS[1], lease) end
return 1`);

const RELEASE_SLOT = defineRedisScript(`redis.call('ZREM', KEYS[1], ARGV[2]) return 1`);

export interface RedisRateOperations {
  /** 0 when the event passed (and was counted), else the whole seconds until one would. */
  hit(key: string, limit: number, windowMs: number, eventId: string): Promise<number>;
  takeSlot(key: string, max: number, leaseMs: number, slotId: string): Promise<boolean>;
  /** False when the lease had already ended (the slot is gone). */
  renewSlot(key: string, leaseMs: number, slotId: string): Promise<boolean>;
  releaseSlot(key: string, slotId: string): Promise<void>;
}

/** The Redis key of a rate-limit key's sliding log (shared with the admission script). */
export const rateLogKey = (connection: RedisConnection, key: string) => connection.key("rate", key);

/** Keys are the callers' opaque keys (a user id, `ip:<address>`), hashed: never stored as given. */
export function createRedisRateOperations(
  connection: RedisConnection,
  now?: () => number,
): RedisRateOperations {
  const at = () => (now === undefined ? "" : now());
  connection.preload([HIT, TAKE_SLOT, RENEW_SLOT, RELEASE_SLOT]);
  const windowKey = (key: string) => rateLogKey(connection, key);
  const slotsKey = (key: string) => connection.key("slots", key);
  return {
    async hit(key, limit, windowMs, eventId) {
      return Number(await connection.run(HIT, [windowKey(key)], [at(), limit, windowMs, eventId]));
    },
    async takeSlot(key, max, leaseMs, slotId) {
      return (await connection.run(TAKE_SLOT, [slotsKey(key)], [at(), max, leaseMs, slotId])) === 1;
    },
    async renewSlot(key, leaseMs, slotId) {
      return (await connection.run(RENEW_SLOT, [slotsKey(key)], [at(), leaseMs, slotId])) === 1;
    },
    async releaseSlot(key, slotId) {
      await connection.run(RELEASE_SLOT, [slotsKey(key)], [at(), slotId]);
    },
  };
}
