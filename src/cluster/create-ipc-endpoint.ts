/**
 * @module cluster/create-ipc-endpoint
 * One end of an IPC channel (a worker's `process`, or the primary's handle on one worker): requests with
 * ids and time limits, replies, notices, and handlers by service name. A peer that does not answer in
 * time, or a channel that closes, rejects the pending requests with a 503 instead of hanging them.
 */
import { GatewayError } from "../errors/gateway-error.ts";
import { type IpcMessage, type IpcReply, parseIpcMessage } from "./ipc-message.ts";

/** What `process`, a `cluster.Worker` and a forked `ChildProcess` have in common. */
export interface IpcPort {
  send(
    message: IpcMessage,
    sendHandle: undefined,
    options: undefined,
    callback: (error: Error | null) => void,
  ): boolean;
  on(event: "message", listener: (message: unknown) => void): unknown;
  on(event: "disconnect", listener: () => void): unknown;
  removeListener(event: "message", listener: (message: unknown) => void): unknown;
  removeListener(event: "disconnect", listener: () => void): unknown;
}

/** A request's or notice's handler; its value (or rejection) is the reply. Payloads are untrusted shapes. */
export type IpcHandler = (payload: unknown) => unknown;

export interface IpcEndpoint {
  /** Resolves with the peer handler's value; rejects with a 503 `cluster_unavailable` on time-out or close. */
  request(service: string, payload: unknown, timeoutMs?: number): Promise<unknown>;
  /** Fire and forget (lost silently once the channel is closed). */
  notify(service: string, payload: unknown): void;
  /** Serves `service` for requests and notices from the peer (one handler per service). */
  handle(service: string, handler: IpcHandler): void;
  /** Called once when the channel closes (the peer exited or disconnected, or `close()`). */
  onClose(listener: () => void): void;
  readonly closed: boolean;
  /** Stops listening and rejects what is pending; the port itself is left to its owner. */
  close(): void;
}

export interface IpcEndpointOptions {
  /** A request's time limit when the caller names none. Default 5000 ms. */
  readonly timeoutMs?: number;
}

export const CLUSTER_UNAVAILABLE = "cluster_unavailable";

export function clusterUnavailable(why: string): GatewayError {
  return new GatewayError("service_unavailable", {
    code: CLUSTER_UNAVAILABLE,
    message: `The gateway's worker coordination is unavailable (${why}).`,
  });
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export function createIpcEndpoint(port: IpcPort, options: IpcEndpointOptions = {}): IpcEndpoint {
  const defaultTimeoutMs = options.timeoutMs ?? 5_000;
  const pending = new Map<number, Pending>();
  const handlers = new Map<string, IpcHandler>();
  const closeListeners: Array<() => void> = [];
  let nextId = 1;
  let closed = false;

  const settle = (id: number): Pending | undefined => {
    const entry = pending.get(id);
    if (entry === undefined) return undefined;
    pending.delete(id);
    clearTimeout(entry.timer);
    return entry;
  };

  const send = (message: IpcMessage, onError: (error: Error) => void) => {
    try {
      port.send(message, undefined, undefined, (error) => {
        if (error) onError(error);
      });
    } catch (error) {
      onError(error as Error);
    }
  };

  const reply = (message: IpcReply) => send(message, () => {}); // a gone requester needs no answer

  async function serve(id: number | null, service: string, payload: unknown): Promise<void> {
    const handler = handlers.get(service);
    if (handler === undefined) {
      if (id !== null) reply({ byok: "reply", id, ok: false, error: `no handler for ${service}` });
      return;
    }
    try {
      const value = await handler(payload);
      if (id !== null) reply({ byok: "reply", id, ok: true, value: value ?? null });
    } catch (error) {
      // Only the class name crosses: a handler's message may quote what it was given.
      if (id !== null) reply({ byok: "reply", id, ok: false, error: (error as Error).name ?? "Error" });
    }
  }

  const onMessage = (raw: unknown) => {
    const message = parseIpcMessage(raw);
    if (message === null || closed) return;
    if (message.byok === "reply") {
      const entry = settle(message.id);
      if (entry === undefined) return; // timed out already
      if (message.ok) entry.resolve(message.value);
      else entry.reject(clusterUnavailable(`the peer failed: ${message.error}`));
      return;
    }
    void serve(message.byok === "request" ? message.id : null, message.service, message.payload);
  };

  const close = () => {
    if (closed) return;
    closed = true;
    port.removeListener("message", onMessage);
    port.removeListener("disconnect", close);
    for (const id of [...pending.keys()]) settle(id)?.reject(clusterUnavailable("the channel closed"));
    for (const listener of closeListeners.splice(0)) listener();
  };

  port.on("message", onMessage);
  port.on("disconnect", close);

  return {
    request(service, payload, timeoutMs = defaultTimeoutMs) {
      if (closed) return Promise.reject(clusterUnavailable("the channel is closed"));
      const id = nextId++;
      return new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(
          () => settle(id)?.reject(clusterUnavailable(`no answer within ${timeoutMs} ms`)),
          timeoutMs,
        );
        pending.set(id, { resolve, reject, timer });
        send({ byok: "request", id, service, payload, timeoutMs }, () =>
          settle(id)?.reject(clusterUnavailable("the message could not be sent")),
        );
      });
    },
    notify(service, payload) {
      if (!closed) send({ byok: "notice", service, payload }, () => {});
    },
    handle(service, handler) {
      handlers.set(service, handler);
    },
    onClose(listener) {
      if (closed) listener();
      else closeListeners.push(listener);
    },
    get closed() {
      return closed;
    },
    close,
  };
}
