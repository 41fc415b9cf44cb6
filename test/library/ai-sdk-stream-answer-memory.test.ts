/**
 * The AI SDK models open an answer share per call and release it when the pipeline returned: a streamed
 * call (streamText) holds nothing whole, so it never keeps the user's share while it runs, an aborted one
 * gives everything back, and a call after it (generateText) is counted from zero (from a hostile review).
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { generateText, streamText } from "ai";
import { startGateway, type TestGateway } from "../support/start-gateway.ts";

const MiB = 1024 * 1024;
const PIECE = 16 * 1024;

async function startChat() {
  const server = http.createServer(async (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const request = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { stream?: boolean };
    const text = Buffer.concat(chunks).toString("utf8");
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

describe("AI SDK streamText and the answer memory", () => {
  let gateway: TestGateway;
  let upstream: Awaited<ReturnType<typeof startChat>>;
  before(async () => {
    upstream = await startChat();
    gateway = await startGateway({
      config: {
        server: { answerMemoryBytes: 2 * MiB, answerMemoryBytesPerUser: 1 * MiB },
        connections: {
          local: { kind: "openai_compatible", baseUrl: upstream.url, apiKey: "sk-local-0000000000" },
        },
        features: { chat: { routes: [{ connection: "local", model: "m" }], operatorFallback: true } },
      },
    });
  });
  after(async () => {
    await gateway.close();
    await upstream.close();
  });

  test("a streamed call past the user's share streams whole; the share holds nothing meanwhile", async () => {
    const model = gateway.byok.model("chat", { userId: "stream-dave" });
    const result = streamText({ model, prompt: `size:${3 * MiB}`, maxRetries: 0 });
    let length = 0;
    let peak = 0;
    for await (const piece of result.textStream) {
      length += piece.length;
      peak = Math.max(peak, gateway.byok.answerMemory.heldBy("stream-dave"));
    }
    assert.equal(length, 3 * MiB);
    assert.equal(peak, 0);
    assert.equal(gateway.byok.answerMemory.held, 0);
    const served = await generateText({ model, prompt: `size:${600 * 1024}`, maxRetries: 0 });
    assert.equal(served.text.length, 600 * 1024);
    assert.equal(gateway.byok.answerMemory.held, 0);
  });

  test("a streamed call aborted mid-stream gives everything back", async () => {
    const model = gateway.byok.model("chat", { userId: "stream-erin" });
    const controller = new AbortController();
    const result = streamText({
      model,
      prompt: `size:${3 * MiB}`,
      maxRetries: 0,
      abortSignal: controller.signal,
    });
    let length = 0;
    try {
      for await (const piece of result.textStream) {
        length += piece.length;
        if (length > 256 * 1024) controller.abort();
      }
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(gateway.byok.answerMemory.held, 0);
  });
});
