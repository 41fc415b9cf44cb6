/**
 * @module auth/listen-ticket-store
 * Where issued listen tickets wait to be redeemed, as sealed bytes under the ticket's hash: in this
 * process, in the primary of a worker cluster, or in Redis (shared by every replica).
 */

/** One ticket waiting: `sealed` is the grant encrypted under a key derived from the ticket itself. */
export interface HeldListenTicket {
  /** The ticket's hash (never the ticket). */
  readonly id: string;
  /** Whose ticket it is: at most `perUser` are held per user, the oldest dropped first. */
  readonly userId: string;
  /** Opaque: only the ticket's holder can open it. */
  readonly sealed: string;
  /** How long it may be redeemed. */
  readonly ttlMs: number;
  readonly perUser: number;
}

/**
 * Single use across every process that shares the store: `take` removes what it returns, atomically.
 * A store that cannot be reached rejects (the caller answers 503); it never answers `null` for that.
 */
export interface ListenTicketStore {
  put(ticket: HeldListenTicket): Promise<void>;
  /** The sealed grant, once: null for an unknown, taken or expired ticket. */
  take(id: string): Promise<string | null>;
}
