/**
 * @module bench/peers/minimal-gateway
 * The least a gateway can do per request under the SPEC, built for the bench only (docs/benchmarks.md, "What
 * the required work costs"): the floor proxy plus token authentication (a one-shot SHA-256 looked up), one
 * fingerprint check (SHA-256 of the presented key, compared in constant time with the one that last matched
 * its HMAC), the body parsed, its model read and re-serialized, the user's key sent upstream, the usage read
 * from the answer (a whole answer parsed, a stream's last usage event), a request id, and one usage row per
 * call in SQLite (the gateway's table and indexes, ascending ids, written in batches off the request's turn).
 * Nothing else: no framework, no routing table, no admission, no registry of open calls, no normalization or
 * redaction, no metrics, no logs. With BENCH_MINIMAL_TAP=1 a stream goes through the gateway's own usage
 * tap and relay (the sources the gateway is built from: the SPEC's stream normalization, key redaction and usage read) in
 * place of the plain copy. Usage: `node bench/peers/minimal-gateway.ts <upstream origin>` (IPC).
 */
import { createHmac, createSecretKey, hash, randomUUID, timingSafeEqual } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { Readable } from "node:stream";
import { Pool } from "undici";
import { announceReady } from "./peer-protocol.ts";

/** The gateway's stream tap and relay (BENCH_MINIMAL_TAP=1), from its sources. */
const tapModules =
  process.env.BENCH_MINIMAL_TAP === "1"
    ? await Promise.all([
        import("../../src/wire/openai/create-usage-tap.ts"),
        import("../../src/pipeline/relay-stream.ts"),
        import("../../src/keys/create-key-quote-check.ts"),
        import("../../src/keys/redact-secrets.ts"),
        import("../../src/keys/secret-key.ts"),
        import("../../src/wire/openai/openai-error-body.ts"),
        import("../../src/errors/gateway-error.ts"),
      ])
    : null;

const upstream = process.argv[2];
if (!upstream) throw new Error("usage: minimal-gateway.ts <upstream origin>");
const pool = new Pool(upstream, { connections: 128, keepAliveTimeout: 60_000 });

const TOKEN = "bench-minimal-token-0123456789";
const USER_KEY = "sk-user-bench-key-0123456789";
const pepper = createSecretKey(Buffer.from("bench-minimal-pepper-0123456789-0123456789", "utf8"));
const sealed = (fingerprintHex: string) =>
  createHmac("sha256", pepper).update(fingerprintHex, "utf8").digest();
/** Gateway tokens by their SHA-256 (hex): the user they name. */
const users = new Map([[hash("sha256", TOKEN, "hex"), "bench-user"]]);
/** The user's enrolled key: its sealed fingerprint, and the presented fingerprint that last matched it. */
const enrolled = { digest: sealed(hash("sha256", USER_KEY, "hex")), lastMatch: null as Buffer | null };

const dir = mkdtempSync(join(tmpdir(), "byok-minimal-gateway-"));
const db = new DatabaseSync(join(dir, "usage.db"));
db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
  CREATE TABLE usage_records (id INTEGER PRIMARY KEY, record_id TEXT NOT NULL, at INTEGER NOT NULL,
    user_id TEXT NOT NULL, feature TEXT, operation TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,
    source TEXT NOT NULL, status INTEGER NOT NULL, outcome TEXT NOT NULL, input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL, cached_input_tokens INTEGER NOT NULL, audio_seconds REAL NOT NULL,
    estimated INTEGER NOT NULL, latency_ms REAL NOT NULL) STRICT;
  CREATE INDEX usage_records_user_at ON usage_records(user_id, at);
  CREATE INDEX usage_records_at ON usage_records(at);
  CREATE UNIQUE INDEX usage_records_record_id ON usage_records(record_id);`);
const insert = db.prepare(`INSERT INTO usage_records (record_id, at, user_id, feature, operation, provider,
  model, source, status, outcome, input_tokens, output_tokens, cached_input_tokens, audio_seconds, estimated,
  latency_ms) VALUES (?, ?, ?, NULL, 'chat', 'openai', ?, 'byok', ?, 'ok', ?, ?, 0, 0, 0, ?)
  ON CONFLICT (record_id) DO NOTHING`);

interface Row {
  readonly at: number;
  readonly userId: string;
  readonly model: string;
  readonly status: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
}
const idPrefix = `${randomUUID().slice(0, 24)}`;
let nextId = 0;
let queued: Row[] = [];
let writeScheduled = false;
function write(): void {
  writeScheduled = false;
  const rows = queued;
  queued = [];
  if (rows.length === 0) return;
  db.exec("BEGIN IMMEDIATE");
  for (const row of rows) {
    const id = idPrefix + (nextId++).toString(16).padStart(12, "0");
    const latency = Date.now() - row.at;
    insert.run(id, row.at, row.userId, row.model, row.status, row.inputTokens, row.outputTokens, latency);
  }
  db.exec("COMMIT");
}
setInterval(write, 1000).unref();
function record(row: Row): void {
  queued.push(row);
  if (queued.length >= 500 && !writeScheduled) {
    writeScheduled = true;
    setImmediate(write);
  }
}

function fail(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(
    JSON.stringify({ error: { message, type: "invalid_request_error", param: null, code: null } }),
  );
}

function keyMatches(presented: string): boolean {
  const fingerprint = Buffer.from(hash("sha256", presented, "hex"), "utf8");
  const last = enrolled.lastMatch;
  if (last !== null && last.length === fingerprint.length && timingSafeEqual(last, fingerprint)) return true;
  if (!timingSafeEqual(sealed(fingerprint.toString("utf8")), enrolled.digest)) return false;
  enrolled.lastMatch = Buffer.from(fingerprint);
  return true;
}

function collect(incoming: IncomingMessage, length: number): Promise<Buffer> {
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

/** The usage of a stream's last usage event, from the stream's tail. */
function streamUsage(tail: string): { prompt_tokens?: number; completion_tokens?: number } | undefined {
  const start = tail.lastIndexOf('data: {"');
  if (start === -1) return undefined;
  const end = tail.indexOf("\n\n", start);
  try {
    return (JSON.parse(tail.slice(start + 6, end === -1 ? undefined : end)) as { usage?: never }).usage;
  } catch {
    return undefined;
  }
}

async function serve(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
  const at = Date.now();
  const authorization = incoming.headers.authorization;
  const userId = authorization?.startsWith("Bearer ")
    ? users.get(hash("sha256", authorization.slice(7), "hex"))
    : undefined;
  if (userId === undefined) return fail(response, 401, "unauthorized");
  const key = incoming.headers["x-byok-openai"];
  if (typeof key !== "string" || !keyMatches(key)) return fail(response, 403, "key_mismatch");
  const length = Number(incoming.headers["content-length"]);
  if (!(length >= 0 && length <= 64 * 1024)) return fail(response, 413, "body_too_large");
  let body: { model?: unknown; stream?: unknown; stream_options?: unknown };
  try {
    body = JSON.parse((await collect(incoming, length)).toString("utf8")) as typeof body;
  } catch {
    return fail(response, 400, "invalid_json");
  }
  if (typeof body.model !== "string") return fail(response, 400, "model_required");
  const model = body.model;
  const stream = body.stream === true;
  if (stream) body.stream_options = { include_usage: true };
  const json = JSON.stringify(body);
  const answer = await pool.request({
    method: "POST",
    path: "/v1/chat/completions",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${key}`,
      "content-length": String(Buffer.byteLength(json)),
    },
    body: json,
  });
  const type = answer.headers["content-type"];
  response.writeHead(answer.statusCode, {
    "content-type": typeof type === "string" ? type : "application/json",
    "x-request-id": randomUUID(),
    "x-byok-route": "chat;openai;byok",
  });
  const row = { at, userId, model, status: answer.statusCode, inputTokens: 0, outputTokens: 0 };
  if (stream && tapModules !== null) return relayTapped(answer.body, response, key, row);
  let usage: { prompt_tokens?: number; completion_tokens?: number } | undefined;
  if (stream) {
    let tail = "";
    for await (const chunk of answer.body) {
      response.write(chunk);
      tail = (tail + String(chunk)).slice(-4096);
    }
    response.end();
    usage = streamUsage(tail);
  } else {
    const text = await answer.body.text();
    response.end(text);
    usage = (JSON.parse(text) as { usage?: typeof usage }).usage;
  }
  record({ ...row, inputTokens: usage?.prompt_tokens ?? 0, outputTokens: usage?.completion_tokens ?? 0 });
}

/** A stream through the gateway's usage tap (normalized, keys redacted, usage read) and its relay. */
function relayTapped(body: Readable, response: ServerResponse, key: string, row: Row): void {
  const [tapModule, relayModule, quoteModule, redactModule, keyModule, errorBodyModule, errorModule] =
    tapModules!;
  const secrets = [new keyModule.SecretKey(key)];
  let usage: { inputTokens: number; outputTokens: number } | null = null;
  const tap = tapModule.createUsageTap({
    stripUsageChunk: false,
    onUsage: (reported) => {
      usage = reported;
    },
    redact: (text) => redactModule.redactKeysInPlay(text, secrets),
    redactError: (text) => redactModule.redactSecrets(text, secrets),
    quotesKey: quoteModule.createKeyQuoteCheck(secrets),
    failureEvent: (failure) => `data: ${JSON.stringify(errorBodyModule.toOpenAiErrorBody(failure))}\n\n`,
    normalize: { fallbackModel: row.model, now: Date.now },
  });
  const relayed = relayModule.relayStream(body, tap, {
    signal: new AbortController().signal,
    mapFailure: () => new errorModule.GatewayError("upstream_error", { message: "The stream failed." }),
    onEnd: () => {
      const read = usage as { inputTokens: number; outputTokens: number } | null;
      record({ ...row, inputTokens: read?.inputTokens ?? 0, outputTokens: read?.outputTokens ?? 0 });
    },
  });
  relayed.pipe(response);
}

const server = createServer({ keepAliveTimeout: 60_000 }, (incoming, response) => {
  serve(incoming, response).catch((error: unknown) => {
    console.error("minimal gateway:", error);
    if (response.headersSent) response.destroy();
    else fail(response, 502, "upstream_error");
  });
});
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  const headers = { authorization: `Bearer ${TOKEN}`, "x-byok-openai": USER_KEY };
  announceReady({ origin: `http://127.0.0.1:${port}`, headers, model: "gpt-4.1-mini" }, async () => {
    write();
    db.close();
    rmSync(dir, { recursive: true, force: true });
    await pool.close();
  });
});
