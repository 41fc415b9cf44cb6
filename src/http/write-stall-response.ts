/**
 * @module http/write-stall-response
 * The write-stall limit (`server.writeStallTimeoutMs`): a response whose socket holds bytes the client has
 * taken none of for that long is handed to `onStall`; watched only once a write backs up, never before.
 */
import type * as Http from "node:http";
import type { Socket } from "node:net";

/**
 * Node's http module as its CommonJS exports. An ESM import of `node:http` builds the module's namespace, which
 * reads its lazy `WebSocket` getters and so loads Node's own bundled undici at start (about 1 MiB of heap and 1 MiB
 * of external memory).
 */
const { ServerResponse } = process.getBuiltinModule("node:http");
type ServerResponse = Http.ServerResponse;

export interface WriteStallOptions {
  /** How long bytes may wait with none of them taken before the response is stalled. */
  readonly limitMs: number;
  /** The response stalled: end its call and reset its connection (called once). */
  readonly onStall: (response: ServerResponse, waitingBytes: number) => void;
}

/** Progress is sampled this many times per limit; a stall is that many samples in a row without any. */
const SAMPLES_PER_LIMIT = 4;

/** What libuv still holds of the write under way (Node's TCP handle tells it; undefined where it does not). */
function queuedInHandle(socket: Socket): number | undefined {
  const handle = (socket as unknown as { _handle?: { writeQueueSize?: unknown } | null })._handle;
  const size = handle?.writeQueueSize;
  return typeof size === "number" ? size : undefined;
}

/** One backed-up response's watch: a timer and two listeners, made only when a write backed up. */
class StallWatch {
  readonly #response: ServerResponse;
  readonly #socket: Socket;
  readonly #options: WriteStallOptions;
  readonly #timer: NodeJS.Timeout;
  #waiting: number;
  #queued: number | undefined;
  #quietSamples = 0;
  readonly #stop = () => this.stop();

  constructor(response: ServerResponse, socket: Socket, options: WriteStallOptions) {
    this.#response = response;
    this.#socket = socket;
    this.#options = options;
    this.#waiting = socket.writableLength;
    this.#queued = queuedInHandle(socket);
    this.#timer = setTimeout(() => this.#sample(), Math.max(1, options.limitMs / SAMPLES_PER_LIMIT));
    this.#timer.unref();
    // Everything written was taken (drain), or the response is over: nothing left to watch.
    socket.once("drain", this.#stop);
    response.once("close", this.#stop);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#socket.off("drain", this.#stop);
    this.#response.off("close", this.#stop);
    if (WATCHES.get(this.#response) === this) WATCHES.delete(this.#response);
  }

  /**
   * Any byte taken since the last sample is progress: a write finished (fewer bytes wait) or the kernel took
   * part of the one under way (libuv holds less of it). A slow reader makes some each sample and is kept.
   */
  #sample(): void {
    const socket = this.#socket;
    const waiting = socket.writableLength;
    if (socket.destroyed || waiting === 0) {
      this.stop();
      return;
    }
    const queued = queuedInHandle(socket);
    const progressed =
      waiting < this.#waiting ||
      (queued !== undefined && this.#queued !== undefined && queued < this.#queued);
    this.#waiting = waiting;
    this.#queued = queued;
    this.#quietSamples = progressed ? 0 : this.#quietSamples + 1;
    if (this.#quietSamples < SAMPLES_PER_LIMIT) {
      this.#timer.refresh();
      return;
    }
    this.stop();
    this.#options.onStall(this.#response, waiting);
  }
}

const WATCHES = new WeakMap<ServerResponse, StallWatch>();

/** Starts watching a response whose socket holds bytes it could not write at once (once per backlog). */
function watch(response: ServerResponse, options: WriteStallOptions): void {
  const socket = response.socket;
  if (socket === null || socket.destroyed || socket.writableLength === 0 || WATCHES.has(response)) return;
  WATCHES.set(response, new StallWatch(response, socket, options));
}

/**
 * The server's response class (Node's `ServerResponse` option): a write that returns false, or an end or a
 * pipelined response's late socket that leaves bytes in the socket, starts a watch; a response written without backpressure costs one check per
 * write and nothing else (no timer, listener or allocation).
 */
export function createWriteStallResponse(options: WriteStallOptions): typeof ServerResponse {
  const write = ServerResponse.prototype.write;
  const end = ServerResponse.prototype.end;
  const assignSocket = ServerResponse.prototype.assignSocket;
  class WriteStallResponse extends ServerResponse {}
  Object.defineProperties(WriteStallResponse.prototype, {
    write: {
      writable: true,
      configurable: true,
      value: function writeWatched(
        this: ServerResponse,
        chunk: unknown,
        encoding: unknown,
        callback: unknown,
      ) {
        const accepted = (write as (this: ServerResponse, ...args: unknown[]) => boolean).call(
          this,
          chunk,
          encoding,
          callback,
        );
        if (!accepted) watch(this, options);
        return accepted;
      },
    },
    // A pipelined response written before its turn gets the socket later and flushes what it holds then:
    // what that leaves waiting is watched too.
    assignSocket: {
      writable: true,
      configurable: true,
      value: function assignSocketWatched(this: ServerResponse, socket: Socket) {
        assignSocket.call(this, socket);
        if (socket.writableLength > 0) watch(this, options);
      },
    },
    end: {
      writable: true,
      configurable: true,
      value: function endWatched(this: ServerResponse, chunk: unknown, encoding: unknown, callback: unknown) {
        (end as (this: ServerResponse, ...args: unknown[]) => ServerResponse).call(
          this,
          chunk,
          encoding,
          callback,
        );
        const socket = this.socket;
        if (socket !== null && socket.writableLength > 0) watch(this, options);
        return this;
      },
    },
  });
  return WriteStallResponse as typeof ServerResponse;
}
