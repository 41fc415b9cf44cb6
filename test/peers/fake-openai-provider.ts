/**
 * @module test/peers/fake-openai-provider
 * A loopback node:http fake of an OpenAI-compatible provider (chat, streaming, tools, embeddings, models, errors),
 * and of OpenAI's Responses API (`POST /responses`, streamed or not: fake-responses-api.ts).
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { encodeResponsesEvent, fakeResponses } from "./fake-responses-api.ts";

export interface RecordedRequest {
  readonly method: string;
  /** Request path including any query string, e.g. "/v1/chat/completions". */
  readonly path: string;
  /** Lowercased names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON body, or null when empty or not JSON. */
  readonly body: unknown;
}

export interface FakeProviderOptions {
  /** Path prefix of the API, default "/v1" (gemini uses "/v1beta/openai"). */
  readonly prefix?: string;
  /** Lenient upstream: omit choices[].logprobs and message.refusal, omit `usage: null` in chunks, send a numeric error `code`. */
  readonly lenient?: boolean;
  /** Whether embeddings honour encoding_format "base64" (default true); when false the fake always answers floats. */
  readonly base64Embeddings?: boolean;
  /** Whether streams honour stream_options.include_usage (default true). */
  readonly streamUsage?: boolean;
  /**
   * Azure OpenAI's shape instead: `POST /openai/deployments/<deployment>/{chat/completions,embeddings}` and
   * `GET /openai/models`, each with `?api-version=<apiVersion>`, the key in the `api-key` header.
   */
  readonly azure?: { readonly apiVersion: string; readonly deployments: readonly string[] };
}

export type FakeHandler = (request: RecordedRequest, response: http.ServerResponse) => void | Promise<void>;

export interface FakeError {
  readonly message: string;
  readonly type?: string;
  readonly code?: string | number | null;
}

export interface FakeProvider {
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  /** origin + prefix */
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** Replace the default behaviour for the next request only (queued: each call covers one more request). */
  respondNext(handler: FakeHandler): void;
  /** Next request answers with this status and JSON error body; "{{key}}" in the message becomes the bearer key received. */
  failNext(status: number, error: FakeError): void;
  /** Resolves with the next (not yet claimed) response closed by the peer before the fake ended it. */
  nextAbortedResponse(): Promise<{ request: RecordedRequest; chunksWritten: number }>;
  close(): Promise<void>;
}

/** Dimension of the fake's embeddings unless the request sets `dimensions`. */
export const FAKE_EMBEDDING_DIMENSIONS = 8;
/** Models listed by `GET {prefix}/models`. */
export const FAKE_MODELS = ["gpt-4o-mini", "text-embedding-3-small"] as const;
const CREATED = 1_700_000_000;

/** The fake's embedding for input `index`: dyadic values, so exact in float32, JSON and base64 alike. */
export function fakeEmbedding(index: number, dimensions = FAKE_EMBEDDING_DIMENSIONS): number[] {
  return Array.from({ length: dimensions }, (_, j) => (j % 2 === 0 ? 1 : -1) * ((index + 1) / 8 + j / 64));
}

type Json = Record<string, unknown>;
type Aborted = { request: RecordedRequest; chunksWritten: number };

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function words(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => (isRecord(part) && typeof part.text === "string" ? part.text : ""))
    .filter(Boolean)
    .join(" ");
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function bearerKey(request: RecordedRequest): string {
  return /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "")?.[1] ?? "";
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function recordHeaders(req: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/** Counts `res.write` calls, whoever makes them (default behaviour or a `respondNext` handler). */
function countWrites(res: http.ServerResponse): () => number {
  let count = 0;
  const original = res.write;
  res.write = function countedWrite(this: http.ServerResponse, ...args: unknown[]): boolean {
    count += 1;
    return Reflect.apply(original, this, args) as boolean;
  } as typeof res.write;
  return () => count;
}

export async function startFakeOpenAiProvider(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  const prefix = (options.prefix ?? "/v1").replace(/\/+$/, "");
  const lenient = options.lenient === true;
  const requests: RecordedRequest[] = [];
  const overrides: FakeHandler[] = [];
  const abortedQueue: Aborted[] = [];
  const abortWaiters: Array<(aborted: Aborted) => void> = [];
  let sequence = 0;
  let closing = false;

  function errorBody(message: string, type: string, code: string | number | null): Json {
    return { error: { message, type, param: null, code } };
  }

  function sendError(res: http.ServerResponse, status: number, message: string, code: string | null): void {
    const type =
      status === 401 ? "invalid_request_error" : status >= 500 ? "server_error" : "invalid_request_error";
    sendJson(res, status, errorBody(message, type, lenient ? status : code));
  }

  async function chat(request: RecordedRequest, res: http.ServerResponse): Promise<void> {
    const body = request.body;
    if (!isRecord(body) || !Array.isArray(body.messages) || body.messages.length === 0) {
      sendError(res, 400, "'messages' is a required property", null);
      return;
    }
    sequence += 1;
    const id = `chatcmpl-fake${sequence}`;
    const model = typeof body.model === "string" ? body.model : "unknown";
    const messages = body.messages as unknown[];
    const last = messages.at(-1);
    const lastUser = [...messages].reverse().find((m) => isRecord(m) && m.role === "user");
    const userText = isRecord(lastUser) ? textOf(lastUser.content).trim() : "";
    const tools = Array.isArray(body.tools) ? body.tools : [];
    const useTools = tools.length > 0 && !(isRecord(last) && last.role === "tool");
    const toolCalls = useTools
      ? tools.slice(0, 2).map((tool, index) => {
          const fn = isRecord(tool) && isRecord(tool.function) ? tool.function : {};
          sequence += 1;
          return {
            id: `call_${sequence}`,
            type: "function",
            function: {
              name: typeof fn.name === "string" ? fn.name : `tool_${index}`,
              arguments: JSON.stringify({ city: index === 0 ? "Paris" : "Tokyo" }),
            },
          };
        })
      : [];
    const chunkCount = /^chunks:(\d+)$/.exec(userText);
    const pieces = chunkCount
      ? Array.from({ length: Number(chunkCount[1]) }, (_, i) => `${i === 0 ? "" : " "}w${i + 1}`)
      : `Hello from ${model}`.split(/(?= )/);
    const promptTokens = Math.max(
      1,
      messages.reduce<number>((sum, m) => sum + (isRecord(m) ? words(textOf(m.content)) : 0), 0),
    );
    const completionTokens = useTools ? toolCalls.length * 8 : pieces.length;
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    };
    const finishReason = useTools ? "tool_calls" : "stop";
    const hang = userText === "hang";

    if (body.stream !== true) {
      if (hang) {
        res.writeHead(200, { "content-type": "application/json" });
        res.flushHeaders();
        return;
      }
      const message: Json = { role: "assistant", content: useTools ? null : pieces.join("") };
      if (!lenient) message.refusal = null;
      if (useTools) message.tool_calls = toolCalls;
      const choice: Json = { index: 0, message, finish_reason: finishReason };
      if (!lenient) choice.logprobs = null;
      sendJson(res, 200, {
        id,
        object: "chat.completion",
        created: CREATED,
        model,
        choices: [choice],
        usage,
      });
      return;
    }

    const streamOptions = isRecord(body.stream_options) ? body.stream_options : {};
    const includeUsage = options.streamUsage !== false && streamOptions.include_usage === true;
    const chunk = (delta: Json | null, finish: string | null = null, extra: Json = {}): Json => {
      const choice: Json = { index: 0, delta, finish_reason: finish };
      if (!lenient) choice.logprobs = null;
      const out: Json = { id, object: "chat.completion.chunk", created: CREATED, model };
      out.choices = delta === null ? [] : [choice];
      if (includeUsage && !lenient) out.usage = null;
      return { ...out, ...extra };
    };
    const first: Json = { role: "assistant", content: useTools ? null : "" };
    if (!lenient) first.refusal = null;
    const events: Json[] = [chunk(first)];
    if (hang) {
      events.push(chunk({ content: pieces[0] ?? "Hello" }));
    } else if (useTools) {
      toolCalls.forEach((call, index) => {
        const fn = { name: call.function.name, arguments: "" };
        events.push(chunk({ tool_calls: [{ index, id: call.id, type: "function", function: fn }] }));
        for (let at = 0; at < call.function.arguments.length; at += 3) {
          const fragment = call.function.arguments.slice(at, at + 3);
          events.push(chunk({ tool_calls: [{ index, function: { arguments: fragment } }] }));
        }
      });
    } else {
      for (const piece of pieces) events.push(chunk({ content: piece }));
    }
    if (!hang) {
      events.push(chunk({}, finishReason));
      if (includeUsage) events.push(chunk(null, null, { usage }));
    }
    await writeStream(res, events, hang);
  }

  async function writeStream(res: http.ServerResponse, events: Json[], hang: boolean): Promise<void> {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
    for (const event of events) {
      if (res.destroyed) return;
      res.write(`data: ${JSON.stringify(event)}\n\n`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (hang || res.destroyed) return;
    res.end("data: [DONE]\n\n");
  }

  async function responses(request: RecordedRequest, res: http.ServerResponse): Promise<void> {
    const body = request.body;
    if (!isRecord(body) || body.input === undefined) {
      sendError(res, 400, "Missing required parameter: 'input'.", "missing_required_parameter");
      return;
    }
    sequence += 1;
    const answer = fakeResponses(body, sequence, bearerKey(request));
    if (body.stream !== true) {
      sendJson(res, 200, answer.response);
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
    for (const event of answer.events) {
      if (res.destroyed) return;
      res.write(encodeResponsesEvent(event));
      await new Promise((resolve) => setImmediate(resolve));
    }
    res.end();
  }

  function embeddings(request: RecordedRequest, res: http.ServerResponse): void {
    const body = request.body;
    const input = isRecord(body) ? body.input : undefined;
    const inputs = typeof input === "string" ? [input] : input;
    if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((i) => typeof i === "string")) {
      sendError(res, 400, "'input' must be a string or a non-empty array of strings", null);
      return;
    }
    const record = body as Json;
    const requested = record.dimensions;
    const dimensions =
      Number.isInteger(requested) && (requested as number) > 0 && (requested as number) <= 4096
        ? (requested as number)
        : FAKE_EMBEDDING_DIMENSIONS;
    const base64 = options.base64Embeddings !== false && record.encoding_format === "base64";
    const data = inputs.map((_, index) => {
      const vector = fakeEmbedding(index, dimensions);
      if (!base64) return { object: "embedding", index, embedding: vector };
      const bytes = Buffer.alloc(vector.length * 4);
      vector.forEach((value, i) => {
        bytes.writeFloatLE(value, i * 4);
      });
      return { object: "embedding", index, embedding: bytes.toString("base64") };
    });
    const tokens = Math.max(
      1,
      (inputs as string[]).reduce((sum, text) => sum + words(text), 0),
    );
    sendJson(res, 200, {
      object: "list",
      data,
      model: typeof record.model === "string" ? record.model : "unknown",
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }

  /** Azure's routes: a 401 without `api-key`, a 404 for a wrong api-version or an unknown deployment. */
  async function azureRoute(
    azure: NonNullable<FakeProviderOptions["azure"]>,
    request: RecordedRequest,
    res: http.ServerResponse,
    invalidJson: boolean,
  ): Promise<void> {
    if ((request.headers["api-key"] ?? "") === "") {
      sendJson(res, 401, {
        error: { code: "401", message: "Access denied due to invalid subscription key." },
      });
      return;
    }
    const url = new URL(request.path, "http://fake.invalid");
    if (url.searchParams.get("api-version") !== azure.apiVersion) {
      sendJson(res, 404, { error: { code: "404", message: "Resource not found" } });
      return;
    }
    if (request.method === "GET" && url.pathname === "/openai/models") {
      const data = FAKE_MODELS.map((id) => ({ id, object: "model", created: CREATED }));
      sendJson(res, 200, { object: "list", data });
      return;
    }
    const match = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/.exec(url.pathname);
    if (
      request.method !== "POST" ||
      match === null ||
      !azure.deployments.includes(decodeURIComponent(match[1]!))
    ) {
      sendJson(res, 404, {
        error: {
          code: "DeploymentNotFound",
          message: "The API deployment for this resource does not exist.",
        },
      });
      return;
    }
    if (invalidJson) {
      sendError(res, 400, "We could not parse the JSON body of your request.", null);
      return;
    }
    if (match[2] === "embeddings") embeddings(request, res);
    else await chat(request, res);
  }

  async function route(
    request: RecordedRequest,
    res: http.ServerResponse,
    invalidJson: boolean,
  ): Promise<void> {
    if (options.azure !== undefined) {
      await azureRoute(options.azure, request, res, invalidJson);
      return;
    }
    if (bearerKey(request) === "") {
      sendError(res, 401, "You didn't provide an API key.", "invalid_api_key");
      return;
    }
    const pathname = request.path.split("?")[0];
    const method = request.method;
    const known =
      (method === "POST" &&
        (pathname === `${prefix}/chat/completions` ||
          pathname === `${prefix}/embeddings` ||
          pathname === `${prefix}/responses`)) ||
      (method === "GET" && pathname === `${prefix}/models`);
    if (!known) {
      sendError(res, 404, `Invalid URL (${method} ${pathname})`, null);
      return;
    }
    if (invalidJson) {
      sendError(res, 400, "We could not parse the JSON body of your request.", null);
      return;
    }
    if (pathname === `${prefix}/models`) {
      const data = FAKE_MODELS.map((id) => ({ id, object: "model", created: CREATED, owned_by: "openai" }));
      sendJson(res, 200, { object: "list", data });
    } else if (pathname === `${prefix}/embeddings`) {
      embeddings(request, res);
    } else if (pathname === `${prefix}/responses`) {
      await responses(request, res);
    } else {
      await chat(request, res);
    }
  }

  function reportAborted(aborted: Aborted): void {
    const waiter = abortWaiters.shift();
    if (waiter) waiter(aborted);
    else abortedQueue.push(aborted);
  }

  const server = http.createServer((req, res) => {
    const chunksWritten = countWrites(res);
    void (async () => {
      const raw = await readBody(req);
      let body: unknown = null;
      let invalidJson = false;
      if (raw.trim() !== "") {
        try {
          body = JSON.parse(raw) as unknown;
        } catch {
          invalidJson = true;
        }
      }
      const request: RecordedRequest = {
        method: req.method ?? "GET",
        path: req.url ?? "/",
        headers: recordHeaders(req),
        body,
      };
      requests.push(request);
      res.on("close", () => {
        if (!res.writableEnded && !closing) reportAborted({ request, chunksWritten: chunksWritten() });
      });
      const override = overrides.shift();
      if (override) await override(request, res);
      else await route(request, res, invalidJson);
    })().catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, errorBody(`fake provider failed: ${String(error)}`, "server_error", null));
    });
  });

  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    baseUrl: `${origin}${prefix}`,
    requests,
    respondNext(handler) {
      overrides.push(handler);
    },
    failNext(status, error) {
      overrides.push((request, res) => {
        const code = error.code !== undefined ? error.code : lenient ? status : null;
        const message = error.message.replaceAll("{{key}}", bearerKey(request));
        sendJson(res, status, errorBody(message, error.type ?? "invalid_request_error", code));
      });
    },
    nextAbortedResponse() {
      const queued = abortedQueue.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve) => abortWaiters.push(resolve));
    },
    async close() {
      closing = true;
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
