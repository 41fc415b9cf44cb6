/** @module test/peers/hostile-upstream
 * One loopback node:http upstream that speaks OpenAI chat/embeddings, Anthropic messages and Deepgram listen (by
 * path) and fails on demand in every way an upstream can, echoing the key it received in every field it controls.
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";

/** How the upstream answers the next requests, until changed. */
export const FAILURE_MODES = [
  /** A 401 whose JSON error echoes the received credentials in every field and in its response headers. */
  "error-4xx",
  /** The same as a 503. */
  "error-5xx",
  /** A 302 to a URL holding the key (the follow-up target is this server, so a followed redirect is seen). */
  "redirect",
  /** A 200 body (non-streamed) or one SSE line (streamed) past the response size limit, full of the key. */
  "too-large",
  /** Streamed: a valid event, invalid JSON and garbage lines holding the key, then half a line; non-streamed: half a JSON body. */
  "malformed",
  /** A valid first part, then half a line holding the key, then the connection is reset. */
  "reset",
  /** A valid first part, then half a line holding the key, then nothing until the gateway gives up. */
  "stall",
  /** Streamed only: a valid event, then an error event echoing the key in every field. */
  "error-event",
  /** Streamed only: a valid event, then an unterminated event of key-shaped characters (the key at both ends), then a reset (or a stall). */
  "unterminated",
  /**
   * The key hidden from byte searches: JSON-escaped (`\u0065rror`, one key character as `\uXXXX`) or outside
   * any error field. Streamed: such events between a valid head and tail; non-streamed: a 401 written so;
   * live: such Results and Metadata frames, then a normal close.
   */
  "escaped-echo",
] as const;

export type FailureMode = (typeof FAILURE_MODES)[number];

/** Modes that only a streamed request can meet. */
export const STREAM_ONLY_MODES: ReadonlySet<FailureMode> = new Set(["error-event", "unterminated"]);

export type Protocol =
  | "openai-chat"
  | "openai-embeddings"
  | "anthropic"
  | "anthropic-count"
  | "deepgram"
  | "deepgram-live";

/** Modes a live (WebSocket) session can meet: refusals of the upgrade and failures of the accepted socket. */
export const LIVE_MODES: ReadonlySet<FailureMode> = new Set([
  "error-4xx",
  "error-5xx",
  "redirect",
  "too-large",
  "malformed",
  "reset",
  "error-event",
  "escaped-echo",
]);

export interface HostileRequest {
  readonly method: string;
  readonly path: string;
  readonly protocol: Protocol | null;
  readonly stream: boolean;
  readonly headers: Readonly<Record<string, string>>;
  /** The credential the upstream received (bearer, token or x-api-key value), "" when none. */
  readonly key: string;
}

export interface HostileUpstreamOptions {
  /** The size a `too-large` answer exceeds (the gateway's configured limit). */
  readonly maxResponseBytes: number;
  /** Size of the unterminated key-shaped event (default 64 KiB: modest, so the suite stays fast). */
  readonly unterminatedBytes?: number;
}

/** How an `unterminated` answer ends: the connection cut mid-body (after the event is delivered), or nothing more until the gateway gives up. */
export type UnterminatedEnd = "reset" | "stall";

export interface HostileUpstream {
  readonly origin: string;
  /** "ok" answers every protocol correctly (the gateway's survival checks use it). */
  mode: FailureMode | "ok";
  /** Default "reset". */
  unterminatedEnd: UnterminatedEnd;
  /** Size of the next unterminated events (starts at the option's value). */
  unterminatedBytes: number;
  readonly requests: HostileRequest[];
  /** Requests that followed a redirect (to `/redirected`). */
  readonly redirected: HostileRequest[];
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

function protocolOf(path: string): Protocol | null {
  const pathname = path.split("?")[0] ?? "";
  if (pathname.endsWith("/messages/count_tokens")) return "anthropic-count";
  if (pathname.endsWith("/messages")) return "anthropic";
  if (pathname.endsWith("/listen")) return "deepgram";
  if (pathname.endsWith("/embeddings")) return "openai-embeddings";
  if (pathname.endsWith("/chat/completions")) return "openai-chat";
  return null;
}

function credentialOf(headers: Record<string, string>): string {
  const apiKey = headers["x-api-key"];
  if (apiKey) return apiKey;
  return /^(?:Bearer|Token)\s+(\S+)/i.exec(headers.authorization ?? "")?.[1] ?? "";
}

function recordHeaders(req: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/** Reads the request body, keeping at most 1 MiB (an upload is drained, not held). */
async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= 1024 * 1024) chunks.push(chunk as Buffer);
  }
  if (!(req.headers["content-type"] ?? "").includes("json")) return null;
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
  } catch {
    return null;
  }
}

/** Everything an upstream could echo: the credential, its masked forms, the header it came in, every header received. */
function echoOf(request: HostileRequest): string {
  const { key } = request;
  const masks =
    key.length >= 10 ? `${key.slice(0, 6)}...${key.slice(-4)} ${key.slice(0, 3)}***${key.slice(-4)}` : "";
  return `key ${key} (${masks}) authorization=${request.headers.authorization ?? ""} x-api-key=${request.headers["x-api-key"] ?? ""} received=${JSON.stringify(request.headers)}`;
}

/** Response headers that echo the credential: names a gateway might relay, and some it should not. */
function echoHeaders(request: HostileRequest): Record<string, string> {
  const value = request.key === "" ? "none" : request.key;
  return {
    "x-request-id": value,
    "request-id": value,
    "dg-request-id": value,
    "openai-organization": value,
    "x-ratelimit-limit-requests": value,
    "anthropic-ratelimit-requests-limit": value,
    "www-authenticate": `Bearer realm="${value}", error_description="${value}"`,
    "set-cookie": `session=${value}; Path=/`,
    "x-echo-authorization": (request.headers.authorization ?? request.headers["x-api-key"] ?? "none").replace(
      /[^\x20-\x7e]/g,
      "",
    ),
  };
}

/** An error object with the echo in every field, nested ones included. */
function echoError(request: HostileRequest): Json {
  const echo = echoOf(request);
  return {
    message: `Incorrect API key provided: ${echo}`,
    type: request.key,
    code: request.key,
    param: request.key,
    status: request.key,
    details: { reason: echo, key: request.key, fields: [request.key, { nested: echo }] },
  };
}

function errorBody(request: HostileRequest): Json {
  const error = echoError(request);
  switch (request.protocol) {
    case "anthropic":
    case "anthropic-count":
      return { type: "error", error, request_id: request.key };
    case "deepgram":
    case "deepgram-live":
      return { err_code: request.key, err_msg: error.message, request_id: request.key, ...error };
    default:
      return { error };
  }
}

const OPENAI_CHUNK = {
  id: "chatcmpl-hostile",
  object: "chat.completion.chunk",
  created: 1_700_000_000,
  model: "hostile",
  choices: [{ index: 0, delta: { role: "assistant", content: "Hi" }, finish_reason: null }],
};

function okBody(request: HostileRequest): Json {
  switch (request.protocol) {
    case "anthropic":
      return {
        id: "msg_hostile",
        type: "message",
        role: "assistant",
        model: "hostile",
        content: [{ type: "text", text: "Hi" }],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage: { input_tokens: 1, output_tokens: 1 },
      };
    case "anthropic-count":
      return { input_tokens: 3 };
    case "deepgram":
      return {
        metadata: { request_id: "dg-hostile", duration: 1, channels: 1, models: [] },
        results: { channels: [{ alternatives: [{ transcript: "hi", confidence: 1, words: [] }] }] },
      };
    case "openai-embeddings":
      return {
        object: "list",
        data: [{ object: "embedding", index: 0, embedding: [0.5, -0.5] }],
        model: "hostile",
        usage: { prompt_tokens: 1, total_tokens: 1 },
      };
    default:
      return {
        id: "chatcmpl-hostile",
        object: "chat.completion",
        created: 1_700_000_000,
        model: "hostile",
        choices: [
          { index: 0, message: { role: "assistant", content: "Hi" }, finish_reason: "stop", logprobs: null },
        ],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      };
  }
}

function anthropicEvent(data: Json): string {
  return `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The valid opening of a stream in the request's dialect. */
function streamHead(request: HostileRequest): string {
  if (request.protocol !== "anthropic") return `data: ${JSON.stringify(OPENAI_CHUNK)}\n\n`;
  return (
    anthropicEvent({
      type: "message_start",
      message: {
        id: "msg_hostile",
        type: "message",
        role: "assistant",
        model: "hostile",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 1, output_tokens: 0 },
      },
    }) +
    anthropicEvent({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }) +
    anthropicEvent({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hi" } })
  );
}

function streamTail(request: HostileRequest): string {
  if (request.protocol !== "anthropic") {
    const last = { ...OPENAI_CHUNK, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] };
    return `data: ${JSON.stringify(last)}\n\ndata: [DONE]\n\n`;
  }
  return (
    anthropicEvent({ type: "content_block_stop", index: 0 }) +
    anthropicEvent({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: 1 },
    }) +
    anthropicEvent({ type: "message_stop" })
  );
}

function streamErrorEvent(request: HostileRequest): string {
  if (request.protocol === "anthropic") return anthropicEvent({ type: "error", error: echoError(request) });
  return `data: ${JSON.stringify({ error: echoError(request) })}\n\n`;
}

/** Half an event: a line holding the echo, cut before its end. */
function halfLine(request: HostileRequest): string {
  return request.protocol === "anthropic"
    ? `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"${request.key} `
    : `data: {"id":"chatcmpl-hostile","choices":[{"index":0,"delta":{"content":"${request.key} `;
}

/**
 * `size` key-shaped characters ([A-Za-z0-9_-]): the key, one unbroken run of filler, the key again (so that
 * replacing the key leaves the run whole: the shape that once overflowed the redactor's stack).
 */
function keyShaped(key: string, size: number): string {
  const filler = "Ab9_Zx-7Qw3Er5Ty";
  const run = Math.max(0, size - 2 * key.length);
  return `${key}${filler.repeat(Math.ceil(run / filler.length)).slice(0, run)}${key}`;
}

/** The key as JSON string content with one character (the 9th, or the first of a short key) as `\uXXXX`. */
export function escapedKey(key: string): string {
  const at = key.length > 8 ? 8 : 0;
  const hex = key.charCodeAt(at).toString(16).padStart(4, "0");
  const json = (text: string) => JSON.stringify(text).slice(1, -1);
  return `${json(key.slice(0, at))}\\u${hex}${json(key.slice(at + 1))}`;
}

/** Stream events that quote the key where a byte search for the key or for `"error"` misses it. */
function escapedEvents(request: HostileRequest): string {
  const hidden = escapedKey(request.key);
  if (request.protocol === "anthropic") {
    return (
      `event: error\ndata: {"type":"\\u0065rror","\\u0065rror":{"type":"authentication_error","message":"invalid x-api-key ${hidden}"}}\n\n` +
      `event: ping\ndata: {"type":"ping","detail":"${request.key}"}\n\n`
    );
  }
  return (
    `data: {"\\u0065rror":{"message":"Incorrect API key provided: ${hidden}","type":"invalid_request_error"}}\n\n` +
    `data: {"detail":"Incorrect API key provided: ${request.key}"}\n\n` +
    `data: {"id":"chatcmpl-hostile","choices":[],"detail":"${hidden}"}\n\n`
  );
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string>) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

export async function startHostileUpstream(options: HostileUpstreamOptions): Promise<HostileUpstream> {
  const requests: HostileRequest[] = [];
  const redirected: HostileRequest[] = [];
  const sockets = new Set<Socket>();
  let origin = "";

  const state: { mode: FailureMode | "ok"; unterminatedEnd: UnterminatedEnd; unterminatedBytes: number } = {
    mode: "ok",
    unterminatedEnd: "reset",
    unterminatedBytes: options.unterminatedBytes ?? 64 * 1024,
  };

  function answer(request: HostileRequest, res: http.ServerResponse): void {
    const mode = state.mode;
    const sse = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" };
    const json = { "content-type": "application/json" };
    const stream = request.stream;
    switch (mode) {
      case "ok": {
        if (!stream) {
          sendJson(res, 200, okBody(request), {});
          return;
        }
        res.writeHead(200, sse);
        res.end(streamHead(request) + streamTail(request));
        return;
      }
      case "error-4xx":
        sendJson(res, 401, errorBody(request), echoHeaders(request));
        return;
      case "error-5xx":
        sendJson(res, 503, errorBody(request), echoHeaders(request));
        return;
      case "redirect": {
        const target = `${origin}/redirected?api_key=${encodeURIComponent(request.key)}&echo=${encodeURIComponent(request.key)}`;
        const text = JSON.stringify(errorBody(request));
        res.writeHead(302, { ...echoHeaders(request), location: target, ...json });
        res.end(text);
        return;
      }
      case "too-large": {
        const filler = ` ${echoOf(request)}`.repeat(
          Math.ceil((2 * options.maxResponseBytes) / (echoOf(request).length + 1)),
        );
        if (!stream) {
          res.writeHead(200, { ...echoHeaders(request), ...json });
          res.end(
            `{"id":"chatcmpl-hostile","object":"chat.completion","note":"${filler.replaceAll('"', "'")}"}`,
          );
          return;
        }
        res.writeHead(200, { ...echoHeaders(request), ...sse });
        res.write(streamHead(request));
        res.end(`data: {"note":"${filler.replaceAll('"', "'")}"}\n\n`);
        return;
      }
      case "malformed": {
        if (!stream) {
          res.writeHead(200, { ...echoHeaders(request), ...json });
          const whole = JSON.stringify(okBody(request));
          res.end(`${whole.slice(0, Math.floor(whole.length / 2))} ${echoOf(request)}`);
          return;
        }
        res.writeHead(200, { ...echoHeaders(request), ...sse });
        res.write(streamHead(request));
        res.write(`data: {not json ${echoOf(request)}\n\n`);
        res.write(`garbage line ${echoOf(request)}\n`);
        res.write(`data: {"choices":"notarray","key":"${request.key}"}\n\n`);
        res.end(halfLine(request));
        return;
      }
      case "reset":
      case "stall": {
        res.writeHead(200, { ...echoHeaders(request), ...(stream ? sse : json) });
        if (stream) res.write(streamHead(request) + halfLine(request));
        else res.write(`{"id":"chatcmpl-hostile","choices":[{"message":{"content":"${request.key} `);
        if (mode === "reset") setImmediate(() => res.socket?.resetAndDestroy());
        return;
      }
      case "error-event": {
        res.writeHead(200, { ...echoHeaders(request), ...sse });
        res.end(streamHead(request) + streamErrorEvent(request));
        return;
      }
      case "escaped-echo": {
        if (!stream) {
          const hidden = escapedKey(request.key);
          const body = `{"\\u0065rror":{"message":"Incorrect API key provided: ${hidden}","type":"${hidden}","code":"${hidden}"},"type":"\\u0065rror","err_msg":"${hidden}"}`;
          res.writeHead(401, { ...json, "content-length": Buffer.byteLength(body) });
          res.end(body);
          return;
        }
        res.writeHead(200, sse);
        res.end(streamHead(request) + escapedEvents(request) + streamTail(request));
        return;
      }
      case "unterminated": {
        res.writeHead(200, { ...echoHeaders(request), ...sse });
        res.write(streamHead(request));
        const end = state.unterminatedEnd;
        res.write(`data: ${keyShaped(request.key, state.unterminatedBytes)}`, () => {
          // Closed, not reset: a reset makes the gateway's kernel drop the bytes it has not read yet.
          if (end === "reset") setImmediate(() => res.socket?.destroy());
        });
        return;
      }
    }
  }

  /** Refuses an upgrade with a status, the echo headers and the echoing error body. */
  function refuseUpgrade(
    socket: Duplex,
    status: number,
    request: HostileRequest,
    extra: Record<string, string>,
  ) {
    const body = JSON.stringify(errorBody(request));
    const headers = { ...echoHeaders(request), ...extra, "content-type": "application/json" };
    const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? "Error"}\r\n${lines.join("\r\n")}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }

  const wss = new WebSocketServer({ noServer: true });

  function answerLive(
    request: HostileRequest,
    req: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ): void {
    const mode = state.mode;
    const refusal = { "error-4xx": 401, "error-5xx": 503, redirect: 302 } as Record<string, number>;
    const status = refusal[mode];
    if (status !== undefined) {
      const location = `${origin}/redirected?api_key=${encodeURIComponent(request.key)}`;
      refuseUpgrade(socket, status, request, mode === "redirect" ? { location } : {});
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const reason = request.key.slice(0, 120);
      const results = JSON.stringify({
        type: "Results",
        channel: { alternatives: [{ transcript: "hi", confidence: 1, words: [] }] },
        is_final: true,
      });
      if (mode === "ok") {
        ws.on("message", (_data, isBinary) => {
          if (isBinary) ws.send(results);
          else ws.close(1000);
        });
        return;
      }
      ws.send(results);
      if (mode === "error-event") {
        ws.send(
          JSON.stringify({
            type: "Error",
            ...echoError(request),
            description: echoOf(request),
            variant: request.key,
          }),
        );
        ws.close(1011, reason);
      } else if (mode === "escaped-echo") {
        const hidden = escapedKey(request.key);
        ws.send(
          `{"type":"Results","channel":{"alternatives":[{"transcript":"${hidden}","confidence":1,"words":[]}]},"is_final":true}`,
        );
        ws.send(`{"type":"Results","detail":"${request.key}"}`);
        ws.send(`{"type":"Metadata","\\u0065rror":"${hidden}"}`);
        ws.close(1000);
      } else if (mode === "malformed") {
        ws.send(`{not json ${echoOf(request)}`);
        ws.send(Buffer.from(`binary ${echoOf(request)}`));
        ws.close(1000, reason);
      } else if (mode === "too-large") {
        ws.send(
          JSON.stringify({
            type: "Results",
            note: ` ${echoOf(request)}`.repeat(Math.ceil(options.maxResponseBytes / 200)),
          }),
        );
      } else {
        ws.terminate();
      }
    });
  }

  const server = http.createServer((req, res) => {
    void (async () => {
      const body = await readJson(req);
      const headers = recordHeaders(req);
      const path = req.url ?? "/";
      const request: HostileRequest = {
        method: req.method ?? "GET",
        path,
        protocol: protocolOf(path),
        stream: typeof body === "object" && body !== null && (body as Json).stream === true,
        headers,
        key: credentialOf(headers),
      };
      if (path.startsWith("/redirected")) {
        redirected.push(request);
        return sendJson(res, 200, okBody(request), {});
      }
      requests.push(request);
      if (request.protocol === null) return sendJson(res, 404, errorBody(request), {});
      answer(request, res);
    })().catch(() => res.destroy());
  });
  server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const headers = recordHeaders(req);
    const path = req.url ?? "/";
    const request: HostileRequest = {
      method: "GET",
      path,
      protocol: "deepgram-live",
      stream: true,
      headers,
      key: credentialOf(headers),
    };
    requests.push(request);
    answerLive(request, req, socket, head);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    get mode() {
      return state.mode;
    },
    set mode(mode) {
      state.mode = mode;
    },
    get unterminatedEnd() {
      return state.unterminatedEnd;
    },
    set unterminatedEnd(end) {
      state.unterminatedEnd = end;
    },
    get unterminatedBytes() {
      return state.unterminatedBytes;
    },
    set unterminatedBytes(size) {
      state.unterminatedBytes = size;
    },
    requests,
    redirected,
    async close() {
      for (const client of wss.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
