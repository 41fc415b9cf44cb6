/**
 * @module auth/create-listen-tickets
 * Listen tickets: what a browser presents on the live `/v1/listen` socket instead of headers it cannot
 * set. Issued over HTTPS after the keys were validated, for one user and one model, held only in this
 * process's memory, single use, expiring in under a minute; looked up by their hash, never logged.
 */
import { createHash, randomBytes } from "node:crypto";
import { LRUCache } from "lru-cache";
import type { ByokContext } from "../validation/byok-context.ts";
import type { Principal } from "./principal.ts";

export const TICKET_PREFIX = "lt_";

export interface ListenTicketGrant {
  readonly principal: Principal;
  /** The `model` (a feature, or `provider/model`) the ticket opens a session for, and no other. */
  readonly model: string;
  /** The keys validated when the ticket was issued. */
  readonly byok: ByokContext;
}

export interface IssuedListenTicket {
  readonly ticket: string;
  /** ms since the epoch */
  readonly expiresAt: number;
}

export interface ListenTickets {
  issue(grant: ListenTicketGrant): IssuedListenTicket;
  /** The grant, once: null for an unknown, used or expired ticket. */
  redeem(ticket: string): ListenTicketGrant | null;
  /** Tickets held (expired ones included until they are redeemed or pushed out). */
  readonly size: number;
}

export interface ListenTicketsOptions {
  readonly ttlMs: number;
  /** Tickets held at once; the oldest goes first beyond it. */
  readonly max: number;
  readonly now?: () => number;
}

/** Tickets one user may hold at once: issuing more drops that user's oldest (one user cannot crowd out the rest). */
export const TICKETS_PER_USER = 16;

const digest = (ticket: string) => createHash("sha256").update(ticket, "utf8").digest("base64url");

interface HeldTicket extends ListenTicketGrant {
  readonly expiresAt: number;
}

export function createListenTickets(options: ListenTicketsOptions): ListenTickets {
  const now = options.now ?? Date.now;
  // Expired tickets (and the keys they hold) leave memory on their own, not only when pushed out.
  const held = new LRUCache<string, HeldTicket>({
    max: options.max,
    ttl: options.ttlMs,
    ttlAutopurge: true,
    dispose: (ticket, key) => forget(ticket.principal.userId, key),
  });
  /** Each user's held tickets, oldest first. */
  const byUser = new Map<string, string[]>();

  function forget(userId: string, key: string): void {
    const keys = byUser.get(userId);
    if (keys === undefined) return;
    const at = keys.indexOf(key);
    if (at >= 0) keys.splice(at, 1);
    if (keys.length === 0) byUser.delete(userId);
  }

  return {
    issue(grant) {
      const ticket = `${TICKET_PREFIX}${randomBytes(32).toString("base64url")}`;
      const key = digest(ticket);
      const expiresAt = now() + options.ttlMs;
      const userId = grant.principal.userId;
      const keys = byUser.get(userId) ?? [];
      byUser.set(userId, keys);
      while (keys.length >= TICKETS_PER_USER) {
        if (!held.delete(keys[0]!)) keys.shift(); // a delete disposes (and so removes) it from `keys`
      }
      keys.push(key);
      held.set(key, { ...grant, expiresAt });
      return { ticket, expiresAt };
    },
    redeem(ticket) {
      if (!ticket.startsWith(TICKET_PREFIX) || ticket.length > 100) return null;
      const key = digest(ticket);
      const entry = held.get(key);
      if (entry === undefined) return null;
      held.delete(key); // single use, expired or not
      if (now() >= entry.expiresAt) return null;
      return { principal: entry.principal, model: entry.model, byok: entry.byok };
    },
    get size() {
      return held.size;
    },
  };
}
