/**
 * @module auth/create-redis-listen-ticket-store
 * Listen tickets shared by every replica: issued on one, redeemed once on any. Redis holds only the
 * sealed grant under the ticket's hash; a Redis that cannot be reached rejects (the caller answers 503).
 */
import type { RedisTicketOperations } from "../store/redis/create-redis-ticket-operations.ts";
import type { ListenTicketStore } from "./listen-ticket-store.ts";

export function createRedisListenTicketStore(operations: RedisTicketOperations): ListenTicketStore {
  return {
    put: (ticket) => operations.put(ticket.id, ticket.userId, ticket.sealed, ticket.ttlMs, ticket.perUser),
    take: (id) => operations.take(id),
  };
}
