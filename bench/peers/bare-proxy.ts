/**
 * @module bench/peers/bare-proxy
 * The floor of the proxy bench: a `node:http` server and one undici Pool to the fake provider, forwarding
 * method, path, body and the few headers a provider needs, and piping the response (streams too) back.
 * The small request body is read first, as the gateway must to validate it (passing the request stream
 * to undici instead measured slower, and grew this process to ~250-300 MiB RSS through V8 heap growth).
 * Usage: `node bench/peers/bare-proxy.ts <upstream origin>` from the bench (IPC).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pipeline } from "node:stream/promises";
import { type Dispatcher, Pool } from "undici";
import { announceReady } from "./peer-protocol.ts";

const upstream = process.argv[2];
if (!upstream) throw new Error("usage: bare-proxy.ts <upstream origin>");
const pool = new Pool(upstream, { keepAliveTimeout: 60_000 });

async function readBody(incoming: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of incoming) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

const FORWARDED = ["content-type", "authorization"] as const;

async function forward(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED) {
    const value = incoming.headers[name];
    if (typeof value === "string") headers[name] = value;
  }
  const method = (incoming.method ?? "GET") as Dispatcher.HttpMethod;
  const hasBody = method !== "GET" && method !== "HEAD";
  const answer = await pool.request({
    method,
    path: incoming.url ?? "/",
    headers,
    body: hasBody ? await readBody(incoming) : null,
  });
  const type = answer.headers["content-type"];
  response.writeHead(answer.statusCode, typeof type === "string" ? { "content-type": type } : {});
  await pipeline(answer.body, response);
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
