/**
 * @module store/redis/create-redis-ticket-operations
 * Listen tickets in Redis: a sealed grant under the ticket's (hashed) id with an expiry, taken once with
 * GETDEL, and a per-user index (by hashed user id) that drops a user's oldest beyond the cap, atomically.
 */
import { defineRedisScript, type RedisConnection } from "./open-redis-connection.ts";

/**
 * KEYS: ticket, user index. ARGV: sealed, ttlMs, perUser, ticket key. The index holds the user's ticket keys
 * scored by issue time in microseconds (Redis's clock), strictly increasing per user so that tickets issued
 * in the same instant keep their order; ended ones are dropped, then the oldest beyond the cap with their
 * tickets.
 */
const PUT = defineRedisScript(`local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - ttl * 1000)
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if last[2] ~= nil and tonumber(last[2]) >= now then now = tonumber(last[2]) + 1 end
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3]) + 1
if over > 0 then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, over - 1)
  for _, key in ipairs(oldest) do redis.call('DEL', key) end
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
redis.call('ZADD', KEYS[2], now, ARGV[4])
redis.call('PEXPIRE', KEYS[2], ttl)
return 1`);

export interface RedisTicketOperations {
  put(id: string, userId: string, sealed: string, ttlMs: number, perUser: number): Promise<void>;
  take(id: string): Promise<string | null>;
}

export function createRedisTicketOperations(connection: RedisConnection): RedisTicketOperations {
  connection.preload([PUT]);
  return {
    async put(id, userId, sealed, ttlMs, perUser) {
      const key = connection.key("ticket", id);
      await connection.run(PUT, [key, connection.key("tickets-of", userId)], [sealed, ttlMs, perUser, key]);
    },
    take: (id) => connection.take(connection.key("ticket", id)),
  };
}
