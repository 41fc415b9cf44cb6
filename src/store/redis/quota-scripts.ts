/**
 * @module store/redis/quota-scripts
 * The quota counters' Lua scripts: each reads and writes its counters in one atomic step on Redis. A counter
 * not yet in Redis is reported (`seed`) so the caller seeds it from the durable store and runs it again.
 */
import { HIT_FUNCTION } from "./create-redis-rate-operations.ts";
import { defineRedisScript } from "./open-redis-connection.ts";

/**
 * Shared helpers. Numbers travel as text ("inf"/"-inf" for infinite limits) and are written back with 17
 * significant digits, so doubles round-trip exactly. A reservation is `amount:expiresAt`, its end on the
 * clock `leaseNow` reads: Redis's own (`TIME`), or the caller's when a test passes one.
 */
export const QUOTA_PRELUDE = `
local function num(text)
  if text == 'inf' then return math.huge elseif text == '-inf' then return -math.huge end
  return tonumber(text)
end
local function fmt(value) return string.format('%.17g', value) end
local TTL = 3024000000
local function missing(first, last, step)
  local found = {}
  for index = first, last, step do
    if redis.call('HEXISTS', KEYS[index], 'c') == 0 then found[#found + 1] = index end
  end
  return found
end
local function committed(key) return tonumber(redis.call('HGET', key, 'c')) end
local function setCommitted(key, value)
  redis.call('HSET', key, 'c', fmt(value))
  redis.call('PEXPIRE', key, TTL)
end
local function parseHeld(text)
  local colon = string.find(text, ':', 1, true)
  return tonumber(string.sub(text, 1, colon - 1)), tonumber(string.sub(text, colon + 1))
end
-- The lease clock in ms: the caller's time when given (tests move it), else Redis's own, which every replica
-- reads alike (their clocks may differ by more than a lease). A lease travels as its length from now.
local function leaseNow(text)
  local now = tonumber(text)
  if now then return now end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Live reservations on one counter at now; ended ones deleted when sweep is true.
local function liveHeld(heldKey, now, sweep)
  local total = 0
  local all = redis.call('HGETALL', heldKey)
  for index = 1, #all, 2 do
    local amount, ends = parseHeld(all[index + 1])
    if ends > now then total = total + amount elseif sweep then redis.call('HDEL', heldKey, all[index]) end
  end
  return total
end
`;

/**
 * The fence (docs/plans-and-quotas.md, "Across replicas"): the epoch key names Redis's current life. Missing
 * (Redis lost its data, or never held any), it is created with a new epoch id (Redis's TIME) and a grace key
 * that lives `graceMs`: until it ends admissions are refused, so that every replica re-sends the holds of its
 * calls in flight first. → nil (admit), or {'fenced', epoch, ms left}. Out of the grace it costs two PTTLs.
 * The epoch is the one key written without a TTL: a volatile-* eviction policy only evicts keys that expire,
 * so it never picks it, and its loss keeps meaning a loss of data (with a TTL, memory pressure evicted it
 * over and over, each time fencing every user). One left with a TTL by an earlier version is persisted.
 * When the epoch is missing, the eviction policy is read there and then (INFO memory): under an allkeys-*
 * policy (set at start, or changed at run time) there is no grace, since the epoch itself may be evicted.
 */
export const FENCE_FUNCTION = `
local function fence(epochKey, graceKey, graceMs)
  local ttl = redis.call('PTTL', epochKey)
  if ttl == -2 then
    local time = redis.call('TIME')
    local epoch = time[1] .. '.' .. time[2]
    redis.call('SET', epochKey, epoch)
    if graceMs <= 0 then return nil end
    -- Read now, not only at connect: a policy changed at run time to allkeys-* evicts the epoch itself.
    local info = redis.call('INFO', 'memory')
    if string.find(info, 'maxmemory_policy:allkeys', 1, true) then return nil end
    redis.call('SET', graceKey, epoch, 'PX', graceMs)
    return {'fenced', epoch, graceMs}
  end
  if ttl >= 0 then redis.call('PERSIST', epochKey) end
  local left = redis.call('PTTL', graceKey)
  if left > 0 then return {'fenced', redis.call('GET', epochKey), left} end
  return nil
end
`;

/** KEYS: counter 1..n. ARGV: values 1..n. Sets only counters still absent (another replica may have won). */
export const SEED = defineRedisScript(`${QUOTA_PRELUDE}
for index = 1, #KEYS do
  if redis.call('HSETNX', KEYS[index], 'c', ARGV[index]) == 1 then redis.call('PEXPIRE', KEYS[index], TTL) end
end
return 'ok'`);

/** KEYS: counter 1..n. ARGV: n, then amount, limit per counter. → {'ok'} | {'refused', i, used} | {'seed', i…}. */
export const TRY_CHARGE = defineRedisScript(`${QUOTA_PRELUDE}
local n = tonumber(ARGV[1])
local absent = missing(1, n, 1)
if #absent > 0 then return {'seed', unpack(absent)} end
local pending = {}
for i = 1, n do
  local key = KEYS[i]
  local used = pending[key] or committed(key)
  local amount, limit = num(ARGV[2 * i]), num(ARGV[2 * i + 1])
  if used + amount > limit then return {'refused', i, fmt(used)} end
  pending[key] = used + amount
end
for i = 1, n do
  if num(ARGV[2 * i]) > 0 then setCommitted(KEYS[i], pending[KEYS[i]]) end
end
return {'ok'}`);

/**
 * The reservation as a Lua function (the caller checked first that every counter is in Redis).
 * KEYS: counter i at 2i-1 and its reservations at 2i (i = 1..n), then the id's index. Every key written
 * expires: a reservations hash a lease plus an hour after its latest hold (HDEL of its last hold deletes it),
 * the index likewise; no set lists them (one grew by a member per counter ever reserved, never emptied).
 * ARGV: now ("": Redis's clock), the lease's length (ms), id, n, then amount, fit, limit per counter.
 * → {'ok'} | {'spent'|'held', i, committed, reserved}; a refusal writes nothing.
 */
const RESERVE_FUNCTION = `
local function reserve()
  local now = leaseNow(ARGV[1])
  local ends, id, n = now + num(ARGV[2]), ARGV[3], tonumber(ARGV[4])
  local index = KEYS[2 * n + 1]
  local pending = {}
  for i = 1, n do
    local heldKey = KEYS[2 * i]
    local amount, fit, limit = num(ARGV[2 + 3 * i]), num(ARGV[3 + 3 * i]), num(ARGV[4 + 3 * i])
    local used = committed(KEYS[2 * i - 1])
    local reserved = liveHeld(heldKey, now, true) + (pending[heldKey] or 0)
    if used + fit > limit then return {'spent', i, fmt(used), fmt(reserved)} end
    if used + reserved + fit > limit then return {'held', i, fmt(used), fmt(reserved)} end
    pending[heldKey] = (pending[heldKey] or 0) + amount
  end
  local keep = math.max(math.ceil(ends - now), 0) + 3600000
  for i = 1, n do
    local amount = num(ARGV[2 + 3 * i])
    if amount > 0 then
      local heldKey = KEYS[2 * i]
      local previous = redis.call('HGET', heldKey, id)
      local held, holdEnds = amount, ends
      if previous then
        local before, beforeEnds = parseHeld(previous)
        held, holdEnds = before + amount, beforeEnds
      end
      redis.call('HSET', heldKey, id, fmt(held) .. ':' .. fmt(holdEnds))
      if redis.call('PTTL', heldKey) < keep then redis.call('PEXPIRE', heldKey, keep) end
      redis.call('SADD', index, heldKey)
    end
  end
  if redis.call('EXISTS', index) == 1 and redis.call('PTTL', index) < keep then redis.call('PEXPIRE', index, keep) end
  return {'ok'}
end
`;

/**
 * KEYS as `RESERVE_FUNCTION`'s, then the epoch and grace keys; ARGV as its, then the grace (ms).
 * → {'ok'} | {'spent'|'held', i, committed, reserved} | {'seed', key index…} | {'fenced', epoch, ms left}.
 */
export const RESERVE = defineRedisScript(`${QUOTA_PRELUDE}${FENCE_FUNCTION}${RESERVE_FUNCTION}
local fenced = fence(KEYS[#KEYS - 1], KEYS[#KEYS], num(ARGV[#ARGV]))
if fenced then return fenced end
local absent = missing(1, 2 * tonumber(ARGV[4]) - 1, 2)
if #absent > 0 then return {'seed', unpack(absent)} end
return reserve()`);

/**
 * An operator-served call's admission in one round trip: the rate-limit hit, then (only when it passed)
 * the reservation, atomically. As the two steps apart: a refused hit reserves nothing; a hit that passed
 * stays counted when the reservation is refused. Nothing is written before every counter is in Redis.
 * A fenced admission takes no hit. KEYS: `RESERVE_FUNCTION`'s, the rate log, then the epoch and grace keys.
 * ARGV: `RESERVE_FUNCTION`'s (4 + 3n), the hit's: time or "", limit, windowMs, member, then the grace (ms).
 * → `RESERVE`'s replies, or {'rate', seconds to wait}.
 */
export const HIT_AND_RESERVE =
  defineRedisScript(`${QUOTA_PRELUDE}${FENCE_FUNCTION}${RESERVE_FUNCTION}${HIT_FUNCTION}
local fenced = fence(KEYS[#KEYS - 1], KEYS[#KEYS], num(ARGV[#ARGV]))
if fenced then return fenced end
local n = tonumber(ARGV[4])
local absent = missing(1, 2 * n - 1, 2)
if #absent > 0 then return {'seed', unpack(absent)} end
local wait = hit(KEYS[2 * n + 2], 4 + 3 * n)
if wait > 0 then return {'rate', wait} end
return reserve()`);

/**
 * KEYS: the id's index, the counters, then the id's settled marker. ARGV: id, one delta per counter, then
 * `1` for a replay (a settle retried after a failure: applied only when no settle of this id ran in the
 * last 10 minutes, so a settle whose answer was lost is never counted twice) or `0`. → `{'ok'}`, `{'already'}` (a replay
 * of a settle that had run) or `{'seed', …}`.
 */
export const SETTLE = defineRedisScript(`${QUOTA_PRELUDE}
local last = #KEYS - 1
local absent = missing(2, last, 1)
if #absent > 0 then return {'seed', unpack(absent)} end
local id, marker = ARGV[1], KEYS[#KEYS]
if ARGV[#ARGV] == '1' and redis.call('EXISTS', marker) == 1 then return {'already'} end
for _, heldKey in ipairs(redis.call('SMEMBERS', KEYS[1])) do redis.call('HDEL', heldKey, id) end
redis.call('DEL', KEYS[1])
for i = 2, last do
  local delta = num(ARGV[i])
  if delta ~= 0 then setCommitted(KEYS[i], math.max(committed(KEYS[i]) + delta, 0)) end
end
redis.call('SET', marker, '1', 'PX', 600000)
return {'ok'}`);

/**
 * KEYS: the id's index. ARGV: id, now ("": Redis's clock), the lease's length from now (ms). → reservations
 * renewed to end no earlier than now + length (ended ones are not revived). The
 * index lives as long as its hashes, so a call renewed past its first lease plus an hour still settles.
 */
export const RENEW = defineRedisScript(`${QUOTA_PRELUDE}
local id, now = ARGV[1], leaseNow(ARGV[2])
local ends = now + num(ARGV[3])
local keep = math.max(math.ceil(ends - now), 0) + 3600000
local renewed = 0
for _, heldKey in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local text = redis.call('HGET', heldKey, id)
  if text then
    local amount, endsAt = parseHeld(text)
    if endsAt > now then
      redis.call('HSET', heldKey, id, fmt(amount) .. ':' .. fmt(math.max(endsAt, ends)))
      if redis.call('PTTL', heldKey) < keep then redis.call('PEXPIRE', heldKey, keep) end
      renewed = renewed + 1
    end
  end
end
if renewed > 0 and redis.call('PTTL', KEYS[1]) < keep then redis.call('PEXPIRE', KEYS[1], keep) end
return renewed`);

/**
 * KEYS: one batch of reservations hashes (a SCAN's page). ARGV: now ("": Redis's clock). → reservations deleted (their lease
 * ended at or before now); a hash left empty is gone with its last field.
 */
export const SWEEP = defineRedisScript(`${QUOTA_PRELUDE}
local now = leaseNow(ARGV[1])
local swept = 0
for _, heldKey in ipairs(KEYS) do
  local all = redis.call('HGETALL', heldKey)
  for index = 1, #all, 2 do
    local _, ends = parseHeld(all[index + 1])
    if ends <= now then
      redis.call('HDEL', heldKey, all[index])
      swept = swept + 1
    end
  end
end
return swept`);

/** KEYS: `quota-active`, the set earlier versions listed reservations in; unlinked (freed off Redis's main thread). */
export const DROP_LEGACY = defineRedisScript(`return redis.call('UNLINK', KEYS[1])`);

/** KEYS: counter. ARGV: delta. → {'ok'} | {'seed', 1}. */
export const ADJUST = defineRedisScript(`${QUOTA_PRELUDE}
if redis.call('HEXISTS', KEYS[1], 'c') == 0 then return {'seed', 1} end
setCommitted(KEYS[1], math.max(committed(KEYS[1]) + num(ARGV[1]), 0))
return {'ok'}`);

/**
 * KEYS: counter i at 2i-1 and its reservations at 2i. ARGV: now ("": Redis's clock). → per counter its committed value (or
 * "" when not in Redis yet) and its live reserved total, without writing anything.
 */
export const READ_STATE = defineRedisScript(`${QUOTA_PRELUDE}
local now = leaseNow(ARGV[1])
local out = {}
for i = 1, #KEYS / 2 do
  local value = redis.call('HGET', KEYS[2 * i - 1], 'c')
  out[#out + 1] = value or ''
  out[#out + 1] = fmt(liveHeld(KEYS[2 * i], now, false))
end
return out`);

export const QUOTA_SCRIPTS = [
  SEED,
  TRY_CHARGE,
  RESERVE,
  HIT_AND_RESERVE,
  SETTLE,
  RENEW,
  SWEEP,
  DROP_LEGACY,
  ADJUST,
  READ_STATE,
];
