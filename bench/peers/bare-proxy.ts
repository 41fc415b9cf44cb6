/**
 * @module bench/peers/bare-proxy
 * The floor of the proxy bench: the least a Node reverse proxy can do per request. A `node:http` server
 * and one keep-alive undici Pool to the fake provider (128 connections, as the gateway's upstream pool),
 * forwarding method, path, body and the two headers a provider needs. A small body with a known length is
 * collected into one preallocated Buffer (as the gateway must to read it); a larger or unknown one is piped.
 * The answer (streams too) is written straight into the response by `Dispatcher.stream()`.
 * Usage: `node bench/peers/bare-proxy.ts <upstream origin>` from the bench (IPC).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type Dispatcher, Pool } from "undici";
import { announceReady } from "./peer-protocol.ts";

const upstream = process.argv[2];
if (!upstream) throw new Error("usage: bare-proxy.ts <upstream origin>");
const pool = new Pool(upstream, { connections: 128, keepAliveTimeout: 60_000 });

/** Bodies up to this size with a known length are collected; the rest are piped. */
const COLLECT_LIMIT = 64 * 1024;

/** The whole body in one Buffer of its declared length (fewer bytes than declared: what arrived). */
function collectBody(incoming: IncomingMessage, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const body = Buffer.allocUnsafe(length);
    let filled = 0;
    incoming.on("data", (part: Buffer) => {
      filled += part.copy(body, filled);
    });
    incoming.once("end", () => resolve(filled === length ? body : body.subarray(0, filled)));
    incoming.once("error", reject);
  });
}

function bodyOf(incoming: IncomingMessage): Promise<Buffer> | IncomingMessage | null {
  if (incoming.method === "GET" || incoming.method === "HEAD") return null;
  const declared = incoming.headers["content-length"];
  const length = declared === undefined ? Number.NaN : Number(declared);
  return length >= 0 && length <= COLLECT_LIMIT ? collectBody(incoming, length) : incoming;
}

function headersOf(incoming: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  const type = incoming.headers["content-type"];
  const authorization = incoming.headers.authorization;
  if (type !== undefined) headers["content-type"] = type;
  if (authorization !== undefined) headers.authorization = authorization;
  return headers;
}

async function forward(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = bodyOf(incoming);
  await pool.stream(
    {
      method: incoming.method as Dispatcher.HttpMethod,
      path: incoming.url ?? "/",
      headers: headersOf(incoming),
      body: body instanceof Promise ? await body : body,
    },
    ({ statusCode, headers }) => {
      const type = headers["content-type"];
      response.writeHead(statusCode, typeof type === "string" ? { "content-type": type } : undefined);
      return response;
    },
  );
}

const server = createServer({ keepAliveTimeout: 60_000 }, (incoming, response) => {
  forward(incoming, response).catch((error: unknown) => {
    console.error("bare proxy:", error);
    if (response.headersSent) response.destroy();
    else response.writeHead(502).end();
  });
});
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  const headers = { authorization: "Bearer sk-user-bench-key-0123456789" };
  announceReady({ origin: `http://127.0.0.1:${port}`, headers, model: "gpt-4.1-mini" }, () => pool.close());
});
