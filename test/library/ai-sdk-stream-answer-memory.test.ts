/**
 * The AI SDK models open an answer share per call and release it when the pipeline returned: a streamed
 * call (streamText) holds nothing whole, so it never keeps the user's share while it runs, an aborted one
 * gives everything back, and a call after it (generateText) is counted from zero (from a hostile review).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { generateText, streamText } from "ai";
import { startSizedChatProvider } from "../support/sized-chat-provider.ts";
import { startGateway, type TestGateway } from "../support/start-gateway.ts";

const MiB = 1024 * 1024;
describe("AI SDK streamText and the answer memory", () => {
  let gateway: TestGateway;
  let upstream: Awaited<ReturnType<typeof startSizedChatProvider>>;
  before(async () => {
    upstream = await startSizedChatProvider();
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
