/**
 * @module test/support/raw-http-client
 * A raw TCP client of the gateway that reads only when told (a client that stops reading), with the
 * gateway's own socket for it, and HTTP/1.1 requests written by hand.
 */
import { connect, type Socket } from "node:net";
import type { TestGateway } from "./start-gateway.ts";

/** A raw client connection to the gateway, and the gateway's own socket for it. */
export interface RawConnection {
  readonly client: Socket;
  readonly server: Socket;
}

/**
 * Connects a raw socket to the gateway, paused before it connects (it reads nothing unless resumed), and
 * finds the gateway's side of it by the client's port.
 */
export async function connectRaw(gateway: TestGateway): Promise<RawConnection> {
  const { hostname, port } = new URL(gateway.url);
  const accepted: Socket[] = [];
  const found = Promise.withResolvers<Socket>();
  const client = connect({ host: hostname, port: Number(port) });
  client.pause();
  const match = () => {
    const server = accepted.find((socket) => socket.remotePort === client.localPort);
    if (server !== undefined) found.resolve(server);
  };
  const onConnection = (socket: Socket) => {
    accepted.push(socket);
    if (client.localPort !== undefined) match();
  };
  gateway.app.server.on("connection", onConnection);
  client.once("connect", match);
  try {
    return { client, server: await found.promise };
  } finally {
    gateway.app.server.off("connection", onConnection);
  }
}

/** Writes one HTTP/1.1 request on a raw socket. */
export function writeRequest(
  socket: Socket,
  path: string,
  headers: Record<string, string>,
  body: unknown,
): void {
  const text = JSON.stringify(body);
  const lines = [`POST ${path} HTTP/1.1`, "host: 127.0.0.1", "content-type: application/json"];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  lines.push(`content-length: ${Buffer.byteLength(text)}`);
  socket.write(`${lines.join("\r\n")}\r\n\r\n${text}`);
}

/** Resumes a paused socket and resolves with everything it reads until it closes (a reset included). */
export function readToClose(socket: Socket, received: Buffer[] = []): Promise<Buffer> {
  const closed = new Promise<Buffer>((resolve) => {
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    socket.on("error", () => {}); // a reset: the close follows
    socket.once("close", () => resolve(Buffer.concat(received)));
  });
  socket.resume();
  return closed;
}

/** Resolves with the time the socket closed. */
export const closedAt = (socket: Socket) =>
  new Promise<number>((resolve) => {
    if (socket.destroyed) resolve(performance.now());
    else socket.once("close", () => resolve(performance.now()));
  });
