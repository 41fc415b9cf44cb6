/**
 * @module test/peers/fake-key-check-provider
 * One loopback server standing in for every provider's key-check endpoint, each under its own prefix
 * (`/openai/v1`, `/anthropic`, …): records what arrives, answers as each provider's mode says.
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * `stall`: headers never come; `echo`: a 401 whose message quotes the key received; `echo-disguised`: one
 * that quotes it spaced out and percent-encoded (past exact redaction).
 */
export type KeyCheckMode =
  | { readonly status: number; readonly body?: unknown; readonly headers?: Record<string, string> }
  | "stall"
  | "echo"
  | "echo-disguised";

export interface KeyCheckRequest {
  readonly prefix: string;
  readonly method: string;
  /** Path and query as received. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface FakeKeyCheckProvider {
  readonly origin: string;
  /** Each provider's base URL as the operator configures it. */
  readonly baseUrls: Readonly<Record<"openai" | "anthropic" | "gemini" | "openrouter" | "deepgram", string>>;
  /** The loopback base URL of an OpenAI-compatible custom endpoint. */
  readonly customBaseUrl: string;
  readonly requests: KeyCheckRequest[];
  /** How the endpoint under `prefix` (`openai`, `custom`, …) answers from now on (200 `{}` by default). */
  setMode(prefix: string, mode: KeyCheckMode): void;
  close(): Promise<void>;
}

function keyOf(headers: http.IncomingHttpHeaders): string {
  const value =
    headers["x-api-key"] ?? headers["x-goog-api-key"] ?? headers.authorization?.replace(/^\S+\s+/, "");
  return Array.isArray(value) ? (value[0] ?? "") : (value ?? "");
}

export async function startFakeKeyCheckProvider(): Promise<FakeKeyCheckProvider> {
  const modes = new Map<string, KeyCheckMode>();
  const requests: KeyCheckRequest[] = [];
  const server = http.createServer((request, response) => {
    const url = request.url ?? "/";
    const prefix = url.split("/")[1] ?? "";
    requests.push({ prefix, method: request.method ?? "", url, headers: request.headers });
    const mode = modes.get(prefix) ?? { status: 200, body: { data: [] } };
    if (mode === "stall") return; // closed by close()
    if (mode === "echo-disguised") {
      const key = keyOf(request.headers);
      response.writeHead(401, { "content-type": "application/json" });
      const spaced = key.split("").join(" ");
      response.end(JSON.stringify({ error: { message: `Bad key ${spaced} (${encodeURIComponent(key)})` } }));
      return;
    }
    if (mode === "echo") {
      const key = keyOf(request.headers);
      response.writeHead(401, { "content-type": "application/json" });
      response.end(
        JSON.stringify({
          error: {
            message: `Incorrect API key provided: ${key}. Also ${key.slice(0, 3)}...${key.slice(-4)}.`,
          },
        }),
      );
      return;
    }
    response.writeHead(mode.status, { "content-type": "application/json", ...mode.headers });
    response.end(JSON.stringify(mode.body ?? {}));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    baseUrls: {
      openai: `${origin}/openai/v1`,
      anthropic: `${origin}/anthropic`,
      gemini: `${origin}/gemini/v1beta/openai`,
      openrouter: `${origin}/openrouter/api/v1`,
      deepgram: `${origin}/deepgram`,
    },
    customBaseUrl: `${origin}/custom/v1`,
    requests,
    setMode: (prefix, mode) => modes.set(prefix, mode),
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

/** A loopback port nothing listens on (bound, then released): connections to it are refused. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}
