/**
 * @module test/support/sized-chat-provider
 * A loopback Chat Completions provider whose answer holds as many characters of text as the prompt asks
 * (`size:<n>` anywhere in the request): whole, or streamed in 16 KiB deltas with backpressure.
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";

const PIECE = 16 * 1024;

export async function startSizedChatProvider() {
  const server = http.createServer(async (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const request = JSON.parse(text) as { stream?: boolean };
    const size = Number(/size:(\d+)/.exec(text)?.[1] ?? 0);
    if (request.stream !== true) {
      const body = JSON.stringify({
        id: "c",
        object: "chat.completion",
        created: 1,
        model: "m",
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: "x".repeat(size) },
            finish_reason: "stop",
            logprobs: null,
          },
        ],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      });
      outgoing.writeHead(200, { "content-type": "application/json" }).end(body);
      return;
    }
    const event = (delta: Record<string, unknown>, finish: string | null = null) =>
      `data: ${JSON.stringify({
        id: "chatcmpl-s",
        object: "chat.completion.chunk",
        created: 1,
        model: "m",
        choices: [{ index: 0, delta, finish_reason: finish }],
      })}\n\n`;
    outgoing.writeHead(200, { "content-type": "text/event-stream" });
    outgoing.write(event({ role: "assistant", content: "" }));
    for (let sent = 0; sent < size; sent += PIECE) {
      if (!outgoing.write(event({ content: "y".repeat(PIECE) }))) await once(outgoing, "drain");
    }
    outgoing.write(event({}, "stop"));
    outgoing.end("data: [DONE]\n\n");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
