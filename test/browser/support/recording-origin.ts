/**
 * @module test/browser/support/recording-origin
 * A loopback HTTP proxy in front of the gateway that records every request the browser sends (headers
 * and body), so a test can assert from the gateway's side what arrived; the gateway's answers (the
 * settings page and its CSP headers included) pass through unchanged.
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

export const CLIENT_DIST = join(import.meta.dirname, "..", "..", "..", "dist", "client");

export interface RecordedBrowserRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface RecordingOrigin {
  readonly url: string;
  readonly requests: RecordedBrowserRequest[];
  close(): Promise<void>;
}

export async function startRecordingOrigin(gatewayUrl: string): Promise<RecordingOrigin> {
  const requests: RecordedBrowserRequest[] = [];
  const target = new URL(gatewayUrl);
  const server = http.createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const path = request.url ?? "/";
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
    }
    requests.push({ method: request.method ?? "GET", path, headers, body: body.toString("utf8") });
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: request.method, path, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on("error", () => response.writeHead(502).end());
    upstream.end(body);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
