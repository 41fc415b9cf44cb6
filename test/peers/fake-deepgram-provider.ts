/**
 * @module test/peers/fake-deepgram-provider
 * A loopback fake of Deepgram speech-to-text: REST `POST /v1/listen` (prerecorded) and the live `GET /v1/listen` WebSocket.
 */
import { createHash, randomUUID } from "node:crypto";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import { readWavHeader } from "../support/test-audio.ts";

/** Query parameters as received: one value as a string, a repeated name as an array in order. */
export type ListenQuery = Readonly<Record<string, string | string[]>>;
/** Lowercased header names; repeated headers joined with ", "; authorization kept. */
export type RecordedHeaders = Readonly<Record<string, string>>;

export interface RecordedListen {
  readonly method: string;
  /** Request target as received, query string included (assert keys never appear here). */
  readonly path: string;
  readonly query: ListenQuery;
  readonly headers: RecordedHeaders;
  /** The content-type header, "" when absent. */
  readonly contentType: string;
  /** The `url` of a JSON `{"url": ...}` body (never fetched), else null. */
  readonly url: string | null;
  /** Audio bytes received so far (0 for a `{"url"}` body); grows while the upload streams in. */
  readonly bytes: number;
  /** Hex SHA-256 of the audio bytes once the body ended ("" before, and for `{"url"}` bodies). */
  readonly sha256: string;
  /** Status the fake answered, null until answered. */
  readonly status: number | null;
  /** Settles once the body ended and the fake answered, or once the client aborted the upload. */
  readonly done: Promise<"answered" | "aborted">;
  /** Resolves once `predicate(record)` holds (checked on every chunk); rejects if the request settles first without it. */
  until(predicate: (record: RecordedListen) => boolean): Promise<void>;
}

export interface LiveClose {
  readonly code: number;
  readonly reason: string;
  /** "server" when the fake started the close (CloseStream, `close`, `closeAll`, `terminate`), else "client". */
  readonly by: "client" | "server";
}

/** A message the fake sent on a live socket (parsed form of the JSON text frame). */
export type LiveServerMessage = Readonly<Record<string, unknown>> & { readonly type: string };

export interface LiveConnection {
  /** Per-connection id: the Deepgram request_id carried by every message sent on this socket and the `dg-request-id` upgrade header. */
  readonly id: string;
  /** Upgrade request target, query string included. */
  readonly path: string;
  readonly query: ListenQuery;
  readonly headers: RecordedHeaders;
  /** How the key arrived: `Authorization: Token <key>` or `Sec-WebSocket-Protocol: token, <key>`. */
  readonly auth: "header" | "subprotocol";
  /** The key presented. */
  readonly key: string;
  /** Binary (audio) frames received. */
  readonly frames: number;
  /** Audio bytes received. */
  readonly bytes: number;
  /** Text frames received, in order: the `type` of JSON messages ("KeepAlive", "Finalize", "CloseStream"), else the raw text. */
  readonly controlMessages: string[];
  /** Every message sent to the client, in order. */
  readonly sent: LiveServerMessage[];
  readonly closedBy: "client" | "server" | null;
  readonly closeCode: number | null;
  readonly closed: Promise<LiveClose>;
  /** Resolves once `predicate(connection)` holds (checked on every frame received and on close); rejects if the socket closes first without it. */
  until(predicate: (connection: LiveConnection) => boolean): Promise<void>;
  /** Sends an arbitrary server message (e.g. a scripted UtteranceEnd). */
  send(message: LiveServerMessage): void;
  /** Closes from the server side with a close frame. */
  close(code: number, reason: string): void;
  /** Drops the TCP connection without a close frame (the client sees 1006). */
  terminate(): void;
  /** Stops reading from the socket (TCP backpressure reaches the sender) until `resume`. */
  pause(): void;
  resume(): void;
}

export interface RefusedUpgrade {
  readonly path: string;
  readonly headers: RecordedHeaders;
  readonly status: number;
}

export interface FakeDeepgram {
  /** http://127.0.0.1:PORT (REST base) */
  readonly origin: string;
  /** ws://127.0.0.1:PORT (live base) */
  readonly wsOrigin: string;
  /** One record per `/v1/listen` REST request, pushed as soon as its headers arrive. */
  readonly rest: RecordedListen[];
  /** One record per accepted live socket. */
  readonly live: LiveConnection[];
  /** Live upgrades the fake refused (bad auth, `failNextLive`, unknown path). */
  readonly refusedLive: RefusedUpgrade[];
  /** Resolves with the next not yet claimed REST request (as soon as its headers arrive). */
  nextRest(): Promise<RecordedListen>;
  /** Resolves with the next not yet claimed live connection. */
  nextLiveConnection(): Promise<LiveConnection>;
  /** The next REST request (after its body is drained) is answered with this status and body (JSON, or raw text for a string). */
  failNextRest(status: number, body: unknown): void;
  /** The next live upgrade is refused with this HTTP status and body, like Deepgram refuses bad requests. */
  failNextLive(status: number, body: unknown): void;
  /** Sets how long every live server message (and the close after CloseStream) waits from now on. */
  setLiveReplyDelay(ms: number): void;
  /** Pads every live `Results` with this many bytes (a provider whose answers outweigh the audio). */
  setLiveResultPadding(bytes: number): void;
  /** Closes every open live socket from the server side. */
  closeAll(code: number, reason: string): void;
  close(): Promise<void>;
}

export interface FakeDeepgramOptions {
  /** Keys the fake accepts; default: any non-empty key. */
  readonly keys?: readonly string[];
  /** A slow provider: every live server message (and its close after CloseStream) waits this long (default 0). */
  readonly liveReplyDelayMs?: number;
}

/** The transcript every non-empty result carries. */
export const FAKE_TRANSCRIPT = "hello from the fake";
/** Duration the fake reports for a `{"url"}` body, which it never fetches. */
export const FAKE_URL_AUDIO_SECONDS = 2.5;
/** Confidence of every alternative and word. */
export const FAKE_CONFIDENCE = 0.98;
/** Unknown formats (no PCM `encoding`, not WAV) are measured as 16 kHz linear16 mono. */
export const FALLBACK_BYTES_PER_SECOND = 32000;

const MODEL_UUID = "1abfe86b-e047-4eed-858a-35e5625b41ee";
const MODEL_VERSION = "2025-01-01.0";
const BYTES_PER_SAMPLE: Readonly<Record<string, number>> = { linear16: 2, linear32: 4, mulaw: 1, alaw: 1 };
const PREFIX_LIMIT = 4096;
const JSON_LIMIT = 1 << 20;

type Json = Record<string, unknown>;

interface AudioFormat {
  readonly bytesPerSecond: number;
  /** Container bytes before the audio (a WAV header), not counted as audio time. */
  readonly headerBytes: number;
  readonly channels: number;
}

function first(query: ListenQuery, name: string): string | undefined {
  const value = query[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseQuery(target: string): ListenQuery {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of new URL(target, "http://fake.invalid").searchParams) {
    const previous = query[name];
    if (previous === undefined) query[name] = value;
    else query[name] = Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  return query;
}

function recordHeaders(req: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

function positiveInt(value: string | undefined): number | null {
  const n = Number(value);
  return value !== undefined && Number.isInteger(n) && n > 0 ? n : null;
}

/** The audio format from the query (`encoding` + `sample_rate` + `channels`), else a WAV header in `prefix`, else the fallback. */
function audioFormat(query: ListenQuery, prefix: Buffer | null): AudioFormat {
  const queryChannels = positiveInt(first(query, "channels"));
  const encoding = first(query, "encoding");
  const sampleRate = positiveInt(first(query, "sample_rate"));
  const bytesPerSample = encoding === undefined ? undefined : BYTES_PER_SAMPLE[encoding];
  if (bytesPerSample !== undefined && sampleRate !== null) {
    const channels = queryChannels ?? 1;
    return { bytesPerSecond: bytesPerSample * sampleRate * channels, headerBytes: 0, channels };
  }
  const header = prefix ? readWavHeader(prefix) : null;
  if (header && header.sampleRate > 0 && header.channels > 0 && header.bitsPerSample > 0) {
    const bytesPerSecond = (header.sampleRate * header.channels * header.bitsPerSample) / 8;
    return { bytesPerSecond, headerBytes: header.dataOffset, channels: queryChannels ?? header.channels };
  }
  return { bytesPerSecond: FALLBACK_BYTES_PER_SECOND, headerBytes: 0, channels: queryChannels ?? 1 };
}

function secondsOf(bytes: number, format: AudioFormat): number {
  return Math.max(0, bytes - format.headerBytes) / format.bytesPerSecond;
}

/** FAKE_TRANSCRIPT's words spread evenly over [start, start + duration]. */
function fakeWords(start: number, duration: number, speakers: boolean): Json[] {
  const words = FAKE_TRANSCRIPT.split(" ");
  const step = duration / words.length;
  return words.map((word, i) => ({
    word,
    start: start + i * step,
    end: start + (i + 1) * step,
    confidence: FAKE_CONFIDENCE,
    punctuated_word: word,
    ...(speakers ? { speaker: 0, speaker_confidence: FAKE_CONFIDENCE } : {}),
  }));
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, requestId: string): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, {
    "content-type": typeof body === "string" ? "text/plain; charset=utf-8" : "application/json",
    "content-length": Buffer.byteLength(text),
    "dg-request-id": requestId,
  });
  res.end(text);
}

/** Deepgram's legacy error shape, the one `/v1/listen` answers with. */
function errorBody(errCode: string, errMsg: string, requestId: string): Json {
  return { err_code: errCode, err_msg: errMsg, request_id: requestId };
}

/** Refuses a WebSocket upgrade with a plain HTTP response, like Deepgram does (with a `dg-error` header). */
function refuseUpgrade(socket: Duplex, status: number, body: unknown, requestId: string): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const message =
    typeof body === "object" && body !== null && "err_msg" in body
      ? String(body.err_msg)
      : text.slice(0, 200);
  socket.on("error", () => {});
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? "Error"}\r\n` +
      `content-type: ${typeof body === "string" ? "text/plain; charset=utf-8" : "application/json"}\r\n` +
      `content-length: ${Buffer.byteLength(text)}\r\n` +
      `dg-request-id: ${requestId}\r\n` +
      `dg-error: ${message.replace(/[\r\n]/g, " ")}\r\n` +
      "connection: close\r\n\r\n" +
      text,
  );
}

/** A set of `until` waiters over one subject, checked on demand and rejected when the subject settles. */
function conditions<T>(subject: T, describe: string) {
  const waiting: Array<{
    predicate: (subject: T) => boolean;
    resolve: () => void;
    reject: (e: Error) => void;
  }> = [];
  let settled = false;
  function check(): void {
    for (let i = waiting.length - 1; i >= 0; i -= 1) {
      const waiter = waiting[i];
      if (waiter?.predicate(subject)) {
        waiting.splice(i, 1);
        waiter.resolve();
      }
    }
  }
  return {
    until(predicate: (subject: T) => boolean): Promise<void> {
      if (predicate(subject)) return Promise.resolve();
      if (settled) return Promise.reject(new Error(`${describe} settled before the condition held`));
      return new Promise((resolve, reject) => waiting.push({ predicate, resolve, reject }));
    },
    check,
    settle(): void {
      check();
      settled = true;
      for (const waiter of waiting.splice(0)) {
        waiter.reject(new Error(`${describe} settled before the condition held`));
      }
    },
  };
}

/** Unclaimed items and waiting claimers, for `nextRest` / `nextLiveConnection`. */
function queue<T>() {
  const items: T[] = [];
  const claimers: Array<(item: T) => void> = [];
  return {
    push(item: T): void {
      const claimer = claimers.shift();
      if (claimer) claimer(item);
      else items.push(item);
    },
    next(): Promise<T> {
      const item = items.shift();
      if (item !== undefined) return Promise.resolve(item);
      return new Promise((resolve) => claimers.push(resolve));
    },
  };
}

function keyOf(value: string | undefined): string | null {
  return /^Token\s+(\S+)\s*$/i.exec(value ?? "")?.[1] ?? null;
}

/** `Sec-WebSocket-Protocol: token, <key>` → the key (the form browser clients use). */
function subprotocolKey(header: string | undefined): string | null {
  const protocols = (header ?? "").split(",").map((p) => p.trim());
  const at = protocols.findIndex((p) => p.toLowerCase() === "token");
  return at >= 0 ? (protocols[at + 1] ?? null) || null : null;
}

export async function startFakeDeepgram(options: FakeDeepgramOptions = {}): Promise<FakeDeepgram> {
  const acceptedKeys = options.keys ? new Set(options.keys) : null;
  const rest: RecordedListen[] = [];
  const live: LiveConnection[] = [];
  const refusedLive: RefusedUpgrade[] = [];
  const restQueue = queue<RecordedListen>();
  const liveQueue = queue<LiveConnection>();
  const restFailures: Array<{ status: number; body: unknown }> = [];
  const liveFailures: Array<{ status: number; body: unknown }> = [];
  let replyDelayMs = options.liveReplyDelayMs ?? 0;
  let resultPadding = "";
  /** Runs now, or after the configured reply delay (in order: equal delays fire in order). */
  const later = (action: () => void): void => {
    if (replyDelayMs > 0) setTimeout(action, replyDelayMs);
    else action();
  };
  const sockets = new Set<Socket>();
  const openLive = new Set<LiveConnection>();
  const upgradeIds = new WeakMap<http.IncomingMessage, string>();

  function keyAccepted(key: string | null): key is string {
    return key !== null && (acceptedKeys === null || acceptedKeys.has(key));
  }

  function prerecordedBody(
    requestId: string,
    query: ListenQuery,
    sha256: string,
    seconds: number,
    channels: number,
  ) {
    const model = first(query, "model") ?? "base-general";
    const speakers = first(query, "diarize") === "true" || first(query, "diarize_model") !== undefined;
    const resultChannels = first(query, "multichannel") === "true" ? channels : 1;
    return {
      metadata: {
        transaction_key: "deprecated",
        request_id: requestId,
        sha256,
        created: new Date().toISOString(),
        duration: seconds,
        channels,
        models: [MODEL_UUID],
        model_info: { [MODEL_UUID]: { name: model, version: MODEL_VERSION, arch: "fake" } },
      },
      results: {
        channels: Array.from({ length: resultChannels }, () => ({
          alternatives: [
            {
              transcript: FAKE_TRANSCRIPT,
              confidence: FAKE_CONFIDENCE,
              words: fakeWords(0, seconds, speakers),
            },
          ],
        })),
      },
    };
  }

  function handleRest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const requestId = randomUUID();
    const path = req.url ?? "/";
    const pathname = path.split("?")[0];
    if (pathname !== "/v1/listen") {
      req.resume();
      sendJson(
        res,
        404,
        errorBody("NOT_FOUND", `Not found: ${req.method} ${pathname}`, requestId),
        requestId,
      );
      return;
    }
    if (req.method !== "POST") {
      req.resume();
      sendJson(
        res,
        405,
        errorBody("METHOD_NOT_ALLOWED", "Use POST, or a WebSocket upgrade.", requestId),
        requestId,
      );
      return;
    }
    const headers = recordHeaders(req);
    const contentType = headers["content-type"] ?? "";
    const isJson = /^application\/json\b/i.test(contentType);
    const query = parseQuery(path);
    let settle: (outcome: "answered" | "aborted") => void = () => {};
    const record = {
      method: req.method,
      path,
      query,
      headers,
      contentType,
      url: null as string | null,
      bytes: 0,
      sha256: "",
      status: null as number | null,
      done: new Promise<"answered" | "aborted">((resolve) => {
        settle = resolve;
      }),
      until: (predicate: (r: RecordedListen) => boolean): Promise<void> => waits.until(predicate),
    };
    const waits = conditions<RecordedListen>(record, `REST request ${requestId}`);
    rest.push(record);
    restQueue.push(record);

    const failure = restFailures.shift();
    const hash = createHash("sha256");
    const prefix: Buffer[] = [];
    let prefixBytes = 0;
    const json: Buffer[] = [];
    let jsonBytes = 0;
    req.on("data", (chunk: Buffer) => {
      if (isJson) {
        jsonBytes += chunk.length;
        if (jsonBytes <= JSON_LIMIT) json.push(chunk);
        return;
      }
      record.bytes += chunk.length;
      hash.update(chunk);
      if (prefixBytes < PREFIX_LIMIT) {
        prefix.push(chunk.subarray(0, PREFIX_LIMIT - prefixBytes));
        prefixBytes = Math.min(PREFIX_LIMIT, prefixBytes + chunk.length);
      }
      waits.check();
    });
    req.on("close", () => {
      if (record.status === null) {
        settle("aborted");
        waits.settle();
      }
    });
    req.on("end", () => {
      if (!isJson) record.sha256 = hash.digest("hex");
      const answer = (status: number, body: unknown): void => {
        record.status = status;
        sendJson(res, status, body, requestId);
        settle("answered");
        waits.settle();
      };
      if (failure) {
        answer(failure.status, failure.body);
        return;
      }
      if (!keyAccepted(keyOf(headers.authorization))) {
        answer(401, errorBody("INVALID_AUTH", "Invalid credentials.", requestId));
        return;
      }
      let seconds: number;
      let sha256: string;
      let channels: number;
      if (isJson) {
        let body: unknown = null;
        try {
          body =
            jsonBytes <= JSON_LIMIT ? (JSON.parse(Buffer.concat(json).toString("utf8")) as unknown) : null;
        } catch {
          body = null;
        }
        const url = typeof body === "object" && body !== null && "url" in body ? body.url : undefined;
        if (typeof url !== "string" || url === "") {
          answer(
            400,
            errorBody("Bad Request", "Invalid JSON body: expected an object with a `url` string.", requestId),
          );
          return;
        }
        record.url = url;
        seconds = FAKE_URL_AUDIO_SECONDS;
        sha256 = createHash("sha256").update(url).digest("hex");
        channels = positiveInt(first(query, "channels")) ?? 1;
      } else {
        if (record.bytes === 0) {
          answer(
            400,
            errorBody(
              "Bad Request",
              "Bad Request: failed to process audio: corrupt or unsupported data",
              requestId,
            ),
          );
          return;
        }
        const format = audioFormat(query, Buffer.concat(prefix));
        seconds = secondsOf(record.bytes, format);
        sha256 = record.sha256;
        channels = format.channels;
      }
      if (first(query, "callback") !== undefined) {
        answer(200, { request_id: requestId });
        return;
      }
      answer(200, prerecordedBody(requestId, query, sha256, seconds, channels));
    });
  }

  function acceptLive(
    ws: WebSocket,
    req: http.IncomingMessage,
    id: string,
    auth: "header" | "subprotocol",
    key: string,
  ) {
    const path = req.url ?? "/";
    const query = parseQuery(path);
    const hash = createHash("sha256");
    let format: AudioFormat | null = null;
    let finalizedUpTo = 0;
    let closeStreamed = false;
    let serverClosing = false;
    let resolveClosed: (close: LiveClose) => void = () => {};
    const channels = positiveInt(first(query, "channels")) ?? 1;
    const model = first(query, "model") ?? "base-general";
    const connection = {
      id,
      path,
      query,
      headers: recordHeaders(req),
      auth,
      key,
      frames: 0,
      bytes: 0,
      controlMessages: [] as string[],
      sent: [] as LiveServerMessage[],
      closedBy: null as "client" | "server" | null,
      closeCode: null as number | null,
      closed: new Promise<LiveClose>((resolve) => {
        resolveClosed = resolve;
      }),
      until: (predicate: (c: LiveConnection) => boolean): Promise<void> => waits.until(predicate),
      send,
      close(code: number, reason: string) {
        if (ws.readyState !== ws.OPEN) return;
        serverClosing = true;
        ws.close(code, reason);
      },
      terminate() {
        serverClosing = true;
        ws.terminate();
      },
      pause: () => ws.pause(),
      resume: () => ws.resume(),
    };
    const waits = conditions<LiveConnection>(connection, `live connection ${id}`);

    function send(message: LiveServerMessage): void {
      later(() => {
        if (ws.readyState !== ws.OPEN) return;
        connection.sent.push(message);
        ws.send(JSON.stringify(message));
      });
    }

    function audioSeconds(): number {
      return format ? secondsOf(connection.bytes, format) : 0;
    }

    function results(isFinal: boolean, fromFinalize: boolean): void {
      const end = audioSeconds();
      const start = finalizedUpTo;
      const duration = end - start;
      if (isFinal) finalizedUpTo = end;
      send({
        type: "Results",
        channel_index: [0, channels],
        duration,
        start,
        is_final: isFinal,
        speech_final: isFinal,
        from_finalize: fromFinalize,
        channel: {
          alternatives: [
            {
              transcript: duration > 0 ? FAKE_TRANSCRIPT : "",
              confidence: duration > 0 ? FAKE_CONFIDENCE : 0,
              words: duration > 0 ? fakeWords(start, duration, false) : [],
            },
          ],
        },
        metadata: {
          request_id: id,
          model_info: { name: model, version: MODEL_VERSION, arch: "fake" },
          model_uuid: MODEL_UUID,
          ...(resultPadding === "" ? {} : { padding: resultPadding }),
        },
      });
    }

    function utteranceEnd(): void {
      if (first(query, "utterance_end_ms") !== undefined) {
        send({ type: "UtteranceEnd", channel: [0, channels], last_word_end: finalizedUpTo });
      }
    }

    ws.on("message", (data: RawData, isBinary: boolean) => {
      const buffer = Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.isBuffer(data)
          ? data
          : Buffer.from(data);
      if (isBinary) {
        connection.frames += 1;
        connection.bytes += buffer.length;
        hash.update(buffer);
        format ??= audioFormat(query, buffer);
        if (!closeStreamed) {
          if (connection.frames === 1 && first(query, "vad_events") === "true") {
            send({ type: "SpeechStarted", channel: [0, channels], timestamp: 0 });
          }
          results(connection.frames % 2 === 0, false);
        }
        waits.check();
        return;
      }
      const text = buffer.toString("utf8");
      let type = text;
      try {
        const parsed = JSON.parse(text) as unknown;
        if (
          typeof parsed === "object" &&
          parsed !== null &&
          "type" in parsed &&
          typeof parsed.type === "string"
        ) {
          type = parsed.type;
        }
      } catch {
        // not JSON: recorded raw
      }
      connection.controlMessages.push(type);
      if (!closeStreamed) {
        if (type === "Finalize") {
          results(true, true);
          utteranceEnd();
        } else if (type === "CloseStream") {
          closeStreamed = true;
          if (audioSeconds() > finalizedUpTo) results(true, false);
          send({
            type: "Metadata",
            transaction_key: "deprecated",
            request_id: id,
            sha256: hash.copy().digest("hex"),
            created: new Date().toISOString(),
            duration: audioSeconds(),
            channels,
            models: [MODEL_UUID],
            model_info: { [MODEL_UUID]: { name: model, version: MODEL_VERSION, arch: "fake" } },
          });
          later(() => connection.close(1000, ""));
        }
      }
      waits.check();
    });
    ws.on("error", () => {});
    ws.on("close", (code: number, reason: Buffer) => {
      openLive.delete(connection);
      connection.closedBy = serverClosing ? "server" : "client";
      connection.closeCode = code;
      resolveClosed({ code, reason: reason.toString("utf8"), by: connection.closedBy });
      waits.settle();
    });
    openLive.add(connection);
    live.push(connection);
    liveQueue.push(connection);
  }

  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has("token") ? "token" : false),
  });
  wss.on("headers", (headers, req) => {
    const id = upgradeIds.get(req);
    if (id) headers.push(`dg-request-id: ${id}`);
  });

  const server = http.createServer(handleRest);
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const id = randomUUID();
    const path = req.url ?? "/";
    const refuse = (status: number, body: unknown): void => {
      refusedLive.push({ path, headers: recordHeaders(req), status });
      refuseUpgrade(socket, status, body, id);
    };
    if (path.split("?")[0] !== "/v1/listen") {
      refuse(404, errorBody("NOT_FOUND", `Not found: ${path.split("?")[0]}`, id));
      return;
    }
    const failure = liveFailures.shift();
    if (failure) {
      refuse(failure.status, failure.body);
      return;
    }
    const headerKey = keyOf(req.headers.authorization);
    const protocolKey = subprotocolKey(req.headers["sec-websocket-protocol"]);
    const key = headerKey ?? protocolKey;
    if (!keyAccepted(key)) {
      refuse(401, errorBody("INVALID_AUTH", "Invalid credentials.", id));
      return;
    }
    upgradeIds.set(req, id);
    wss.handleUpgrade(req, socket, head, (ws) => {
      acceptLive(ws, req, id, headerKey !== null ? "header" : "subprotocol", key);
    });
  });

  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;

  return {
    origin: `http://127.0.0.1:${port}`,
    wsOrigin: `ws://127.0.0.1:${port}`,
    rest,
    live,
    refusedLive,
    nextRest: () => restQueue.next(),
    nextLiveConnection: () => liveQueue.next(),
    failNextRest(status, body) {
      restFailures.push({ status, body });
    },
    failNextLive(status, body) {
      liveFailures.push({ status, body });
    },
    setLiveResultPadding(bytes) {
      resultPadding = "x".repeat(bytes);
    },
    setLiveReplyDelay(ms) {
      replyDelayMs = ms;
    },
    closeAll(code, reason) {
      for (const connection of [...openLive]) connection.close(code, reason);
    },
    async close() {
      for (const connection of [...openLive]) connection.terminate();
      for (const socket of sockets) socket.destroy();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
