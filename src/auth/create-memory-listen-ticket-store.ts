/**
 * @module auth/create-memory-listen-ticket-store
 * Listen tickets held in one process's memory, as sealed bytes under their hash: the store of a single
 * process, and what a worker cluster's primary holds for all its workers. Bounded in count, per user and
 * in time; a taken ticket is gone.
 */
import { LRUCache } from "lru-cache";
import type { ListenTicketStore } from "./listen-ticket-store.ts";

export interface MemoryListenTicketStoreOptions {
  /** Tickets held at once; the oldest goes first beyond it. */
  readonly max: number;
  readonly now?: () => number;
}

export interface MemoryListenTicketStore extends ListenTicketStore {
  readonly size: number;
}

interface Entry {
  readonly userId: string;
  readonly sealed: string;
  readonly expiresAt: number;
}

export function createMemoryListenTicketStore(
  options: MemoryListenTicketStoreOptions,
): MemoryListenTicketStore {
  const now = options.now ?? Date.now;
  const byUser = new Map<string, string[]>();
  const forget = (userId: string, id: string) => {
    const ids = byUser.get(userId);
    if (ids === undefined) return;
    const at = ids.indexOf(id);
    if (at >= 0) ids.splice(at, 1);
    if (ids.length === 0) byUser.delete(userId);
  };
  const held = new LRUCache<string, Entry>({
    max: options.max,
    dispose: (entry, id) => forget(entry.userId, id),
  });
  return {
    async put(ticket) {
      const ids = byUser.get(ticket.userId) ?? [];
      byUser.set(ticket.userId, ids);
      while (ids.length >= ticket.perUser) {
        if (!held.delete(ids[0]!)) ids.shift(); // a delete disposes (and so removes) it from `ids`
      }
      ids.push(ticket.id);
      held.set(ticket.id, { userId: ticket.userId, sealed: ticket.sealed, expiresAt: now() + ticket.ttlMs });
    },
    async take(id) {
      const entry = held.get(id);
      if (entry === undefined) return null;
      held.delete(id); // single use, expired or not
      return now() < entry.expiresAt ? entry.sealed : null;
    },
    get size() {
      return held.size;
    },
  };
}
