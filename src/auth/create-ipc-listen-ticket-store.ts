/**
 * @module auth/create-ipc-listen-ticket-store
 * Listen tickets shared by the workers of one host: a worker's store asks the primary, which holds them
 * (sealed bytes only) in its memory, so a ticket issued on one worker is redeemed once on any of them.
 */
import type { IpcEndpoint } from "../cluster/create-ipc-endpoint.ts";
import type { HeldListenTicket, ListenTicketStore } from "./listen-ticket-store.ts";

const PUT = "tickets.put";
const TAKE = "tickets.take";

export interface IpcListenTicketStoreOptions {
  /** Default 5000 ms; past it the call rejects (a 503), never a "no such ticket". */
  readonly timeoutMs?: number;
}

export function createIpcListenTicketStore(
  endpoint: IpcEndpoint,
  options: IpcListenTicketStoreOptions = {},
): ListenTicketStore {
  const timeoutMs = options.timeoutMs ?? 5_000;
  return {
    async put(ticket) {
      await endpoint.request(PUT, ticket, timeoutMs);
    },
    async take(id) {
      const sealed = await endpoint.request(TAKE, id, timeoutMs);
      return typeof sealed === "string" ? sealed : null;
    },
  };
}

function parseHeldTicket(value: unknown): HeldListenTicket {
  const { id, userId, sealed, ttlMs, perUser } = (value ?? {}) as Record<string, unknown>;
  if (
    typeof id !== "string" ||
    typeof userId !== "string" ||
    typeof sealed !== "string" ||
    typeof ttlMs !== "number" ||
    typeof perUser !== "number"
  )
    throw new TypeError("not a listen ticket");
  return { id, userId, sealed, ttlMs, perUser };
}

/** The primary's side: one worker's puts and takes against the store the primary holds. */
export function serveListenTicketStore(endpoint: IpcEndpoint, store: ListenTicketStore): void {
  endpoint.handle(PUT, (payload) => store.put(parseHeldTicket(payload)));
  endpoint.handle(TAKE, (payload) => {
    if (typeof payload !== "string") throw new TypeError("not a ticket id");
    return store.take(payload);
  });
}
