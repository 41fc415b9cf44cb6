/**
 * @module test/browser/support/status-provider
 * A loopback fake provider that answers every request with one fixed status and JSON error body, and
 * records what it received (verify's 401 and 503 cases).
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface StatusProvider {
  readonly baseUrl: string;
  readonly requests: Array<{ method: string; path: string; headers: http.IncomingHttpHeaders }>;
  close(): Promise<void>;
}

export async function startStatusProvider(status: number, message: string): Promise<StatusProvider> {
  const requests: StatusProvider["requests"] = [];
  const server = http.createServer((request, response) => {
    requests.push({ method: request.method ?? "GET", path: request.url ?? "/", headers: request.headers });
    request.resume();
    response.writeHead(status, { "content-type": "application/json" });
    response.end(
      JSON.stringify({ error: { message, type: status === 401 ? "authentication_error" : "server_error" } }),
    );
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
