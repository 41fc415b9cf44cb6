/**
 * @module test/support/tcp-proxy
 * A loopback TCP proxy a test controls, between the gateway and a real service: passes bytes, or cuts every
 * connection, refuses new ones, stalls them (accepted, never answered), or mutes the service's replies on
 * the open ones (a request arrives and is done, its answer is lost) to play an outage.
 */
import { once } from "node:events";
import net from "node:net";

export type ProxyMode = "pass" | "refuse" | "stall";

export interface TcpProxy {
  /** The proxy's port on 127.0.0.1. */
  readonly port: number;
  /** What new connections get from now on. */
  setMode(mode: ProxyMode): void;
  /** While muted, the service's bytes on every connection are discarded (what the client sends still arrives). */
  mute(muted: boolean): void;
  /** Destroys every open connection (both sides); returns how many were cut. */
  cutAll(): number;
  /** Shorthands (the Redis tests' names): cutAll(), setMode("refuse"), setMode("pass"). */
  cut(): void;
  refuse(): void;
  allow(): void;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: ProxyMode = "pass";
  let accepted = 0;
  let muted = false;
  const open = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const server = net.createServer((client) => {
    accepted += 1;
    track(client);
    if (mode === "refuse") {
      client.destroy();
      return;
    }
    if (mode === "stall") return; // held open, never relayed: the driver's time-outs must end it
    const upstream = net.connect(target);
    track(upstream);
    client.pipe(upstream);
    upstream.on("data", (chunk: Buffer) => {
      if (!muted) client.write(chunk);
    });
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the proxy has no port");
  return {
    port: address.port,
    setMode(next) {
      mode = next;
    },
    mute(next) {
      muted = next;
    },
    cutAll() {
      const count = open.size;
      for (const socket of open) socket.destroy();
      return count;
    },
    cut() {
      for (const socket of open) socket.destroy();
    },
    refuse() {
      mode = "refuse";
    },
    allow() {
      mode = "pass";
    },
    get accepted() {
      return accepted;
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
