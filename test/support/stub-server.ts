/**
 * @module test/support/stub-server
 * A loopback HTTP server whose answers a test scripts one request at a time, recording what arrived.
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface StubRequest {
  readonly method: string;
  readonly path: string;
  /** Lowercased names. */
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface StubAnswer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  /** JSON-encoded unless a string. */
  readonly body?: unknown;
}

export interface StubServer {
  readonly url: string;
  readonly requests: StubRequest[];
  /** How every request is answered from now on. */
  answer(respond: (request: StubRequest) => StubAnswer): void;
  close(): Promise<void>;
}

export async function startStubServer(): Promise<StubServer> {
  const requests: StubRequest[] = [];
  let respond: (request: StubRequest) => StubAnswer = () => ({ status: 404, body: { error: { type: "x" } } });
  const server = http.createServer(async (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const request: StubRequest = {
      method: incoming.method ?? "",
      path: incoming.url ?? "",
      headers: incoming.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    };
    requests.push(request);
    const answer = respond(request);
    const text = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body ?? null);
    outgoing.writeHead(answer.status, {
      "content-type": typeof answer.body === "string" ? "text/plain" : "application/json",
      ...answer.headers,
    });
    outgoing.end(text);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer(next) {
      respond = next;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
