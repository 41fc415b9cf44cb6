/**
 * @module auth/create-memory-listen-ticket-store
 * Listen tickets held in this process: bounded (least recently issued out first), each user capped, and
 * expired tickets (sealed, yet holding keys) purged from memory on their own.
 */
import { LRUCache } from "lru-cache";
import type { ListenTicketStore } from "./listen-ticket-store.ts";

export interface MemoryListenTicketStoreOptions {
  /** Tickets held at once; the oldest goes first beyond it. */
  readonly max: number;
}

export interface MemoryListenTicketStore extends ListenTicketStore {
  /** Tickets held (expired ones until purged). */
  readonly size: number;
}

export function createMemoryListenTicketStore(
  options: MemoryListenTicketStoreOptions,
): MemoryListenTicketStore {
  const held = new LRUCache<string, { readonly userId: string; readonly sealed: string }>({
    max: options.max,
    ttlAutopurge: true,
    dispose: (ticket, id) => forget(ticket.userId, id),
  });
  /** Each user's held tickets, oldest first. */
  const byUser = new Map<string, string[]>();

  function forget(userId: string, id: string): void {
    const ids = byUser.get(userId);
    if (ids === undefined) return;
    const at = ids.indexOf(id);
    if (at >= 0) ids.splice(at, 1);
    if (ids.length === 0) byUser.delete(userId);
  }

  return {
    async put(ticket) {
      const ids = byUser.get(ticket.userId) ?? [];
      byUser.set(ticket.userId, ids);
      while (ids.length >= ticket.perUser) {
        if (!held.delete(ids[0]!)) ids.shift(); // a delete disposes (and so removes) it from `ids`
      }
      ids.push(ticket.id);
      held.set(ticket.id, { userId: ticket.userId, sealed: ticket.sealed }, { ttl: ticket.ttlMs });
    },
    async take(id) {
      const entry = held.get(id);
      if (entry === undefined) return null;
      held.delete(id);
      return entry.sealed;
    },
    get size() {
      return held.size;
    },
  };
}
