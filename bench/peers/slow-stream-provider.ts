/**
 * @module bench/peers/slow-stream-provider
 * The streams bench's fake OpenAI: every chat completion is a slow stream, one SSE chunk every
 * `CHUNK_INTERVAL_MS` (~6 s in all), a usage chunk and `data: [DONE]`; answers only streamed requests.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { announceReady } from "./peer-protocol.ts";

const CONTENT_CHUNKS = 50;
const CHUNK_INTERVAL_MS = 120;
const usage = { prompt_tokens: 9, completion_tokens: CONTENT_CHUNKS, total_tokens: 9 + CONTENT_CHUNKS };

/** Writes one chunk every interval; a client that goes away stops the timer. */
function slowStream(response: ServerResponse, model: string): void {
  const base = { id: "chatcmpl-slow", object: "chat.completion.chunk", created: 1, model };
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  let index = 0;
  const timer = setInterval(() => {
    const delta = index === 0 ? { role: "assistant", content: "tok " } : { content: "tok " };
    const finish = index === CONTENT_CHUNKS - 1 ? "stop" : null;
    const chunk = { ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] };
    response.write(`data: ${JSON.stringify(chunk)}\n\n`);
    index++;
    if (index === CONTENT_CHUNKS) {
      clearInterval(timer);
      response.write(`data: ${JSON.stringify({ ...base, choices: [], usage })}\n\n`);
      response.end("data: [DONE]\n\n");
    }
  }, CHUNK_INTERVAL_MS);
  response.once("close", () => clearInterval(timer));
}

async function handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
  let text = "";
  incoming.setEncoding("utf8");
  for await (const chunk of incoming) text += chunk;
  const body = JSON.parse(text) as { model?: unknown; stream?: unknown };
  if (incoming.url !== "/v1/chat/completions" || body.stream !== true || typeof body.model !== "string") {
    response.writeHead(400, { "content-type": "application/json" });
    response.end(JSON.stringify({ error: { message: "slow provider: streamed chat only", type: "x" } }));
    return;
  }
  slowStream(response, body.model);
}

const server = createServer({ keepAliveTimeout: 60_000 }, (incoming, response) => {
  handle(incoming, response).catch(() => response.destroy());
});
server.maxConnections = 100_000;
server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, () => {
  const { port } = server.address() as AddressInfo;
  announceReady({ origin: `http://127.0.0.1:${port}`, headers: {}, model: "gpt-4.1-mini" });
});
