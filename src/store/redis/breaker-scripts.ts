/**
 * @module store/redis/breaker-scripts
 * The circuit breakers' Lua scripts, one round trip each. State per upstream: a hash (`failures`, and
 * `until` while open or half-open) and a sorted set of probe leases; notices are published from the script.
 */
import { defineRedisScript } from "./open-redis-connection.ts";

/** ARGV[1]: the caller's clock in ms, or "" for Redis's own (the one every replica reads alike). */
const NOW = `local now = tonumber(ARGV[1])
if not now then local t = redis.call('TIME') now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end`;

/**
 * KEYS: state, probes. ARGV: now, threshold, openMs, reopen (1|0), keepMs, channel, origin, upstream.
 * → {'counted', failures} | {'opened', openMs} | {'open', remainingMs}. Opening clears the count and the
 * probe leases and publishes `open`; the first failure of a streak publishes `failing`.
 */
export const COUNT_FAILURE = defineRedisScript(`${NOW}
local openMs = tonumber(ARGV[3])
local keep = tonumber(ARGV[5])
local function notice(event, remaining)
  redis.call('PUBLISH', ARGV[6], cjson.encode({origin = ARGV[7], upstream = ARGV[8], event = event, remainingMs = remaining}))
end
local function open()
  redis.call('HSET', KEYS[1], 'until', now + openMs, 'failures', 0)
  redis.call('DEL', KEYS[2])
  redis.call('PEXPIRE', KEYS[1], openMs + keep)
  notice('open', openMs)
  return {'opened', openMs}
end
if ARGV[4] == '1' then return open() end
local untilAt = tonumber(redis.call('HGET', KEYS[1], 'until'))
if untilAt then
  if untilAt > now then return {'open', untilAt - now} end
  return open()
end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('PEXPIRE', KEYS[1], keep)
if failures >= tonumber(ARGV[2]) then return open() end
if failures == 1 then notice('failing', 0) end
return {'counted', failures}`);

/** KEYS: state. ARGV: now. → {failures, remainingMs | -1 closed}; a closed breaker's count is deleted. */
export const CLEAR_FAILURES = defineRedisScript(`${NOW}
local untilAt = tonumber(redis.call('HGET', KEYS[1], 'until'))
if untilAt then
  return {tonumber(redis.call('HGET', KEYS[1], 'failures') or '0'), math.max(0, untilAt - now)}
end
redis.call('DEL', KEYS[1])
return {0, -1}`);

/**
 * KEYS: state, probes. ARGV: now, max, leaseMs, lease id.
 * → {'probe'} | {'busy'} | {'closed'} | {'open', remainingMs}. Ended leases are dropped first.
 */
export const CLAIM_PROBE = defineRedisScript(`${NOW}
local untilAt = tonumber(redis.call('HGET', KEYS[1], 'until'))
if not untilAt then return {'closed'} end
if untilAt > now then return {'open', untilAt - now} end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return {'busy'} end
local lease = tonumber(ARGV[3])
redis.call('ZADD', KEYS[2], now + lease, ARGV[4])
redis.call('PEXPIRE', KEYS[2], lease)
return {'probe'}`);

/** KEYS: state, probes. ARGV: now, channel, origin, upstream. Closes it and publishes `closed`. */
export const RESET = defineRedisScript(`redis.call('DEL', KEYS[1], KEYS[2])
redis.call('PUBLISH', ARGV[2], cjson.encode({origin = ARGV[3], upstream = ARGV[4], event = 'closed'}))
return 1`);

/** KEYS: states. ARGV: now. → {failures, remainingMs | -1 closed} for each key, flat. */
export const READ_STATES = defineRedisScript(`${NOW}
local out = {}
for i, key in ipairs(KEYS) do
  local values = redis.call('HMGET', key, 'failures', 'until')
  local untilAt = tonumber(values[2])
  out[2 * i - 1] = tonumber(values[1] or '0')
  out[2 * i] = untilAt and math.max(0, untilAt - now) or -1
end
return out`);

export const BREAKER_SCRIPTS = [COUNT_FAILURE, CLEAR_FAILURES, CLAIM_PROBE, RESET, READ_STATES];
