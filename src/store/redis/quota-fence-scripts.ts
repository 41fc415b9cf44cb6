/**
 * @module store/redis/quota-fence-scripts
 * The scripts of the quota fence: reading (or creating) the epoch, and putting back one call's hold after
 * Redis lost it, whatever the limit, without ever counting it twice.
 */
import { defineRedisScript } from "./open-redis-connection.ts";
import { FENCE_FUNCTION, QUOTA_PRELUDE } from "./quota-scripts.ts";

/**
 * KEYS: epoch, grace, then (optional) the reservations hash of this replica's newest live hold and that
 * call's settle marker (a hold settled in Redis whose answer is still on its way counts as present). ARGV: grace
 * (ms), then that hold's id. Creates the epoch (and its grace) when it is missing, as a reserve would.
 * → {epoch, ms of grace left (0: admitting), 1 when that hold is in Redis (or none was named) else 0}: a
 * failover to a copy that lagged keeps the epoch but lacks the newest writes, and replication is in order,
 * so the newest hold missing means older ones may be missing too.
 */
export const FENCE_STATE = defineRedisScript(`${QUOTA_PRELUDE}${FENCE_FUNCTION}
local fenced = fence(KEYS[1], KEYS[2], num(ARGV[1]))
local present = 1
if KEYS[3] then present = redis.call('HEXISTS', KEYS[3], ARGV[2]) end
-- Settled in Redis (the marker), its answer still on its way to the replica: not a lost hold.
if present == 0 and KEYS[4] and redis.call('EXISTS', KEYS[4]) == 1 then present = 1 end
if fenced then return {fenced[2], fenced[3], present} end
return {redis.call('GET', KEYS[1]), 0, present}`);

/**
 * One call's hold, put back as it was. KEYS: epoch, grace, the id's settled marker, the id's index, then one
 * reservations hash per counter. ARGV: grace (ms), id, now ("": Redis's clock), the lease's length left (ms),
 * then one amount per hash (aligned with KEYS from the 5th). A hash that already holds a live reservation of the id keeps it as it is (a re-send
 * never adds to it); a settled id (its marker) or an ended lease is not restored. Keys expire as `RESERVE`'s.
 * → {'restored', epoch, reservations written} | {'settled', epoch} | {'ended', epoch}.
 */
export const RESTORE_HOLD = defineRedisScript(`${QUOTA_PRELUDE}${FENCE_FUNCTION}
fence(KEYS[1], KEYS[2], num(ARGV[1]))
local epoch = redis.call('GET', KEYS[1])
if redis.call('EXISTS', KEYS[3]) == 1 then return {'settled', epoch} end
local id, now = ARGV[2], leaseNow(ARGV[3])
local ends = now + num(ARGV[4])
if ends <= now then return {'ended', epoch} end
local index = KEYS[4]
local keep = math.max(math.ceil(ends - now), 0) + 3600000
local written = 0
for i = 5, #KEYS do
  local heldKey = KEYS[i]
  local text = redis.call('HGET', heldKey, id)
  local live = false
  if text then
    local _, endsAt = parseHeld(text)
    live = endsAt > now
  end
  if not live then
    redis.call('HSET', heldKey, id, fmt(num(ARGV[i])) .. ':' .. fmt(ends))
    written = written + 1
  end
  if redis.call('PTTL', heldKey) < keep then redis.call('PEXPIRE', heldKey, keep) end
  redis.call('SADD', index, heldKey)
end
if redis.call('PTTL', index) < keep then redis.call('PEXPIRE', index, keep) end
return {'restored', epoch, written}`);

export const QUOTA_FENCE_SCRIPTS = [FENCE_STATE, RESTORE_HOLD];
