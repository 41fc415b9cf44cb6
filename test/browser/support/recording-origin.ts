/**
 * @module test/browser/support/recording-origin
 * A loopback HTTP proxy in front of the gateway that records every request the browser sends (headers
 * and body), so a test can assert from the gateway's side what arrived. With `serveSettings`, it serves
 * dist/client/ at /settings/ itself with the gateway's CSP headers (for a gateway without that route).
 */
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

export const CLIENT_DIST = join(import.meta.dirname, "..", "..", "..", "dist", "client");

export const SETTINGS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

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

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

async function serveSettingsFile(path: string, response: http.ServerResponse): Promise<void> {
  const name = path === "/settings/" ? "settings.html" : path.slice("/settings/".length);
  const extension = name.slice(name.lastIndexOf("."));
  const type = TYPES[extension];
  if (!/^[a-z-]+\.(html|js|css)$/.test(name) || !type) {
    response.writeHead(404).end();
    return;
  }
  const body = await readFile(join(CLIENT_DIST, name));
  response.writeHead(200, {
    "content-type": type,
    "content-security-policy": SETTINGS_CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    ...(extension === ".html" ? { "cache-control": "no-store" } : {}),
  });
  response.end(body);
}

export async function startRecordingOrigin(
  gatewayUrl: string,
  options: { serveSettings?: boolean } = {},
): Promise<RecordingOrigin> {
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
    if (options.serveSettings && path.startsWith("/settings/")) {
      await serveSettingsFile(path.split("?")[0] ?? path, response);
      return;
    }
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
