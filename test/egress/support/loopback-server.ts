/**
 * @module Loopback HTTP(S) servers for the egress tests: bind to an address in 127.0.0.0/8 or ::1,
 * count every request (proxy CONNECT attempts included), and close cleanly (keep-alive sockets included).
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";

export type Handler = (request: IncomingMessage, response: ServerResponse) => void;

export interface LoopbackServer {
  readonly host: string;
  readonly port: number;
  /** `http(s)://host:port` with IPv6 bracketed. */
  readonly origin: string;
  /** Requests received so far. */
  readonly requests: () => number;
  close(): Promise<void>;
}

export interface TlsIdentity {
  readonly key: string;
  readonly cert: string;
}

export async function startServer(
  host: string,
  handler: Handler,
  tls?: TlsIdentity,
): Promise<LoopbackServer> {
  let count = 0;
  const counted: Handler = (request, response) => {
    count++;
    handler(request, response);
  };
  const server: Server = tls === undefined ? createServer(counted) : createTlsServer(tls, counted);
  server.on("connect", (_request, socket: Duplex) => {
    count++; // a proxy tunnel attempt counts as a request, and is refused
    socket.end("HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n");
  });
  server.listen(0, host);
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const hostPart = host.includes(":") ? `[${host}]` : host;
  return {
    host,
    port,
    origin: `${tls === undefined ? "http" : "https"}://${hostPart}:${port}`,
    requests: () => count,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

/** Answers every request with a small JSON body that names the server. */
export function jsonHandler(name: string): Handler {
  return (_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ server: name }));
  };
}
