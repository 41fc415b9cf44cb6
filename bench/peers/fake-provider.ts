/**
 * @module bench/peers/fake-provider
 * A loopback OpenAI server for the benches: chat completions (a small JSON answer, or 50 SSE chunks written
 * back-to-back plus a usage chunk when asked and `data: [DONE]`), embeddings (floats or base64) and the
 * Responses API (the test fake's spec-conforming answer and events). Keep-alive on; nothing is recorded.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { encodeResponsesEvent, fakeResponses } from "../../test/peers/fake-responses-api.ts";
import { announceReady } from "./peer-protocol.ts";

const CONTENT_CHUNKS = 50;
const usage = { prompt_tokens: 9, completion_tokens: CONTENT_CHUNKS, total_tokens: 9 + CONTENT_CHUNKS };

interface ChatRequest {
  readonly model: string;
  readonly stream: boolean;
  readonly includeUsage: boolean;
}

function parseRequest(text: string): ChatRequest | null {
  try {
    const body = JSON.parse(text) as { model?: unknown; stream?: unknown; stream_options?: unknown };
    if (typeof body.model !== "string") return null;
    const options = body.stream_options as { include_usage?: unknown } | null | undefined;
    return { model: body.model, stream: body.stream === true, includeUsage: options?.include_usage === true };
  } catch {
    return null;
  }
}

function completion(model: string): string {
  return JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: "Hello from the fake provider.", refusal: null },
        logprobs: null,
        finish_reason: "stop",
      },
    ],
    usage,
  });
}

function stream(response: ServerResponse, request: ChatRequest): void {
  const created = Math.floor(Date.now() / 1000);
  const base = { id: "chatcmpl-bench", object: "chat.completion.chunk", created, model: request.model };
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  for (let index = 0; index < CONTENT_CHUNKS; index++) {
    const delta = index === 0 ? { role: "assistant", content: "tok " } : { content: "tok " };
    const finish = index === CONTENT_CHUNKS - 1 ? "stop" : null;
    const chunk = { ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] };
    response.write(`data: ${JSON.stringify(chunk)}\n\n`);
  }
  if (request.includeUsage) response.write(`data: ${JSON.stringify({ ...base, choices: [], usage })}\n\n`);
  response.end("data: [DONE]\n\n");
}

function fail(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(
    JSON.stringify({ error: { message, type: "invalid_request_error", param: null, code: null } }),
  );
}

async function readText(incoming: IncomingMessage): Promise<string> {
  let text = "";
  incoming.setEncoding("utf8");
  for await (const chunk of incoming) text += chunk;
  return text;
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

const EMBEDDING = Array.from({ length: 16 }, (_, index) => index / 16);
const EMBEDDING_BASE64 = Buffer.from(new Float32Array(EMBEDDING).buffer).toString("base64");

function embeddings(response: ServerResponse, body: Record<string, unknown>): void {
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const base64 = body.encoding_format === "base64";
  const data = inputs.map((_, index) => ({
    object: "embedding",
    index,
    embedding: base64 ? EMBEDDING_BASE64 : EMBEDDING,
  }));
  response.writeHead(200, { "content-type": "application/json" });
  response.end(
    JSON.stringify({
      object: "list",
      data,
      model: body.model,
      usage: { prompt_tokens: 2 * inputs.length, total_tokens: 2 * inputs.length },
    }),
  );
}

let responsesServed = 0;

function responses(response: ServerResponse, body: Record<string, unknown>): void {
  const answer = fakeResponses(body, ++responsesServed, "");
  if (body.stream !== true) {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify(answer.response));
    return;
  }
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  response.end(answer.events.map(encodeResponsesEvent).join(""));
}

async function handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = incoming.method === "POST" ? incoming.url : undefined;
  if (path !== "/v1/chat/completions" && path !== "/v1/embeddings" && path !== "/v1/responses") {
    fail(response, 404, `fake provider: no route for ${incoming.method} ${incoming.url}`);
    return;
  }
  const text = await readText(incoming);
  if (path === "/v1/embeddings" || path === "/v1/responses") {
    const body = parseObject(text);
    if (body === null || typeof body.model !== "string")
      return fail(response, 400, "fake provider: the body needs a string `model`");
    return path === "/v1/embeddings" ? embeddings(response, body) : responses(response, body);
  }
  const request = parseRequest(text);
  if (request === null) return fail(response, 400, "fake provider: the body needs a string `model`");
  if (request.stream) return stream(response, request);
  response.writeHead(200, { "content-type": "application/json" });
  response.end(completion(request.model));
}

const server = createServer({ keepAliveTimeout: 60_000 }, (incoming, response) => {
  handle(incoming, response).catch((error: unknown) => {
    console.error("fake provider:", error);
    if (!response.headersSent) fail(response, 500, "fake provider failed");
    else response.destroy();
  });
});
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  // What a client calling OpenAI directly would send; the fake does not check it.
  const headers = { authorization: "Bearer sk-user-bench-key-0123456789" };
  announceReady({ origin: `http://127.0.0.1:${port}`, headers, model: "gpt-4.1-mini" });
});
