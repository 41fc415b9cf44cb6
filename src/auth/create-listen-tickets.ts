/**
 * @module auth/create-listen-tickets
 * Listen tickets: what a browser presents on the live `/v1/listen` socket instead of headers it cannot
 * set. Issued over HTTPS after the keys were validated, for one user and one model, single use, expiring
 * in under a minute. The grant is sealed under a key derived from the ticket itself and held in a
 * `ListenTicketStore` under the ticket's hash: the store (this process, a cluster primary, Redis shared by
 * every replica) never holds the ticket or a key in clear.
 */
import { createHash, randomBytes } from "node:crypto";
import { GatewayError } from "../errors/gateway-error.ts";
import { isProviderId, type ProviderId } from "../keys/provider-ids.ts";
import { openWithSecret, sealWithSecret } from "../keys/seal-with-secret.ts";
import type { SecretKey } from "../keys/secret-key.ts";
import type { ByokContext } from "../validation/byok-context.ts";
import type { ListenTicketStore } from "./listen-ticket-store.ts";
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
  /** Rejects with a 503 GatewayError when the store cannot be reached. */
  issue(grant: ListenTicketGrant): Promise<IssuedListenTicket>;
  /** The grant, once: null for an unknown, used or expired ticket; a 503 GatewayError when the store is away. */
  redeem(ticket: string): Promise<ListenTicketGrant | null>;
}

export interface ListenTicketsOptions {
  readonly store: ListenTicketStore;
  readonly ttlMs: number;
  readonly now?: () => number;
}

/** Tickets one user may hold at once: issuing more drops that user's oldest (one user cannot crowd out the rest). */
export const TICKETS_PER_USER = 16;

const SECRET_BYTES = 32;
const SEAL_INFO = "byok-gateway listen ticket v1";
const TICKET_LENGTH = TICKET_PREFIX.length + Math.ceil((SECRET_BYTES * 4) / 3);

/** The ticket's id in every store: its SHA-256, from which neither the ticket nor the seal's key follows. */
const ticketId = (ticket: string) => createHash("sha256").update(ticket, "utf8").digest("base64url");

const unavailable = () =>
  new GatewayError("service_unavailable", {
    code: "tickets_unavailable",
    message:
      "Listen tickets are unavailable for a moment (the shared ticket store cannot be reached); retry.",
  });

interface SealedGrant {
  readonly principal: Principal;
  readonly model: string;
  readonly expiresAt: number;
  readonly byok: Omit<ByokContext, "keys">;
}

export function createListenTickets(options: ListenTicketsOptions): ListenTickets {
  const now = options.now ?? Date.now;
  const { store } = options;
  return {
    async issue(grant) {
      const secret = randomBytes(SECRET_BYTES);
      const ticket = `${TICKET_PREFIX}${secret.toString("base64url")}`;
      const id = ticketId(ticket);
      const expiresAt = now() + options.ttlMs;
      const { keys, ...context } = grant.byok;
      const data: SealedGrant = { principal: grant.principal, model: grant.model, expiresAt, byok: context };
      const sealed = sealWithSecret(secret, SEAL_INFO, id, {
        data,
        keys: keys as Readonly<Record<string, SecretKey>>,
      });
      secret.fill(0);
      try {
        await store.put({
          id,
          userId: grant.principal.userId,
          sealed,
          ttlMs: options.ttlMs,
          perUser: TICKETS_PER_USER,
        });
      } catch {
        throw unavailable();
      }
      return { ticket, expiresAt };
    },
    async redeem(ticket) {
      if (!ticket.startsWith(TICKET_PREFIX) || ticket.length !== TICKET_LENGTH) return null;
      const secret = Buffer.from(ticket.slice(TICKET_PREFIX.length), "base64url");
      if (secret.length !== SECRET_BYTES) return null;
      const id = ticketId(ticket);
      let sealed: string | null;
      try {
        sealed = await store.take(id); // single use, expired or not
      } catch {
        throw unavailable();
      }
      if (sealed === null) return null;
      const opened = openWithSecret(secret, SEAL_INFO, id, sealed);
      secret.fill(0);
      if (opened === null) return null;
      const data = opened.data as SealedGrant;
      if (now() >= data.expiresAt) return null;
      const keys: Partial<Record<ProviderId, SecretKey>> = {};
      for (const [provider, key] of Object.entries(opened.keys))
        if (isProviderId(provider)) keys[provider] = key;
      const byok: ByokContext = Object.freeze({
        ...data.byok,
        keys: Object.freeze(keys),
        dropped: Object.freeze(data.byok.dropped),
      });
      return { principal: Object.freeze(data.principal), model: data.model, byok };
    },
  };
}
