/**
 * @module cluster/ipc-message
 * The messages a gateway primary and its workers exchange: requests with an id and a time limit, their
 * replies, and one-way notices; anything else on the channel (Node's own cluster messages) is not ours.
 */

/** A request expects exactly one reply carrying the same id, within `timeoutMs`. */
export interface IpcRequest {
  readonly byok: "request";
  readonly id: number;
  readonly service: string;
  readonly payload: unknown;
  readonly timeoutMs: number;
}

export type IpcReply =
  | { readonly byok: "reply"; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly byok: "reply"; readonly id: number; readonly ok: false; readonly error: string };

/** One way: no reply, no id. */
export interface IpcNotice {
  readonly byok: "notice";
  readonly service: string;
  readonly payload: unknown;
}

export type IpcMessage = IpcRequest | IpcReply | IpcNotice;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

/** Our message, shape-checked (the peer is our own code, but a wrong shape must never throw later); else null. */
export function parseIpcMessage(value: unknown): IpcMessage | null {
  if (!isRecord(value)) return null;
  switch (value.byok) {
    case "request":
      return Number.isSafeInteger(value.id) &&
        typeof value.service === "string" &&
        typeof value.timeoutMs === "number"
        ? (value as unknown as IpcRequest)
        : null;
    case "reply":
      return Number.isSafeInteger(value.id) && typeof value.ok === "boolean"
        ? (value as unknown as IpcReply)
        : null;
    case "notice":
      return typeof value.service === "string" ? (value as unknown as IpcNotice) : null;
    default:
      return null;
  }
}
