/**
 * @module bench/peers/fake-provider
 * A loopback OpenAI chat-completions server for the proxy bench: a small JSON answer, or 50 SSE chunks
 * written back-to-back (plus a usage chunk when asked) and `data: [DONE]`. Keep-alive on.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
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

async function handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
  if (incoming.method !== "POST" || incoming.url !== "/v1/chat/completions") {
    fail(response, 404, `fake provider: no route for ${incoming.method} ${incoming.url}`);
    return;
  }
  let text = "";
  incoming.setEncoding("utf8");
  for await (const chunk of incoming) text += chunk;
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
