/**
 * A streamed Responses translation on Anthropic counts what it keeps for its final event in the call's
 * answer share: the failure event is a well-formed Responses `error` event numbered after the others, the
 * share is given back, nothing is counted twice through the composed translators, and the usage Anthropic
 * reported before the cut is still metered (from a hostile review).
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { addUser, call } from "../support/gateway-client.ts";
import { startGateway, type TestGateway } from "../support/start-gateway.ts";

const MiB = 1024 * 1024;
const PIECE = 16 * 1024;
const INPUT_TOKENS = 4321;

/** Anthropic streaming `size:<n>` characters of text; message_start reports INPUT_TOKENS. */
async function startAnthropic() {
  const server = http.createServer(async (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const size = Number(/size:(\d+)/.exec(Buffer.concat(chunks).toString("utf8"))?.[1] ?? 0);
    const event = (type: string, data: Record<string, unknown>) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    outgoing.writeHead(200, { "content-type": "text/event-stream" });
    outgoing.write(
      event("message_start", {
        message: {
          id: "msg_1",
          type: "message",
          role: "assistant",
          model: "claude-x",
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: INPUT_TOKENS, output_tokens: 1 },
        },
      }),
    );
    outgoing.write(event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }));
    for (let sent = 0; sent < size; sent += PIECE) {
      const ok = outgoing.write(
        event("content_block_delta", { index: 0, delta: { type: "text_delta", text: "z".repeat(PIECE) } }),
      );
      if (!ok) await once(outgoing, "drain");
      if (outgoing.destroyed) return;
    }
    outgoing.write(event("content_block_stop", { index: 0 }));
    outgoing.write(
      event("message_delta", { delta: { stop_reason: "end_turn" }, usage: { output_tokens: 777 } }),
    );
    outgoing.end(event("message_stop", {}));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

function events(text: string): { event: string; data: Record<string, unknown> }[] {
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? "";
      const data = JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as Record<string, unknown>;
      return { event, data };
    });
}

describe("Responses on Anthropic, counted in the call's share", () => {
  let gateway: TestGateway;
  let anthropic: Awaited<ReturnType<typeof startAnthropic>>;
  before(async () => {
    anthropic = await startAnthropic();
    gateway = await startGateway({
      config: {
        server: { answerMemoryBytes: 2 * MiB, answerMemoryBytesPerUser: 1 * MiB },
        providers: {
          anthropic: { baseUrl: anthropic.origin, apiKey: "sk-ant-operator-review-000000000000" },
        },
        features: { chat: { routes: [{ provider: "anthropic", model: "claude-x" }] } },
      },
    });
  });
  after(async () => {
    await gateway.close();
    await anthropic.close();
  });

  const stream = async (token: string, size: number) => {
    const response = await fetch(`${gateway.url}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "chat", stream: true, input: `size:${size}`, max_output_tokens: 1000 }),
    });
    assert.equal(response.status, 200);
    return response.text();
  };

  test("under the share (not counted twice through the two translators) the stream completes", async () => {
    const token = await addUser(gateway, "anthropic-under");
    const text = await stream(token, 40 * PIECE); // 640 KiB: counted twice it would pass 1 MiB
    assert.match(text, /event: response\.completed/);
    assert.equal(gateway.byok.answerMemory.held, 0);
  });

  test("past the share: one well-formed error event, then response.failed, numbered in sequence, the share given back", async () => {
    const token = await addUser(gateway, "anthropic-over");
    const text = await stream(token, 3 * MiB);
    const all = events(text);
    const errorEvent = all.at(-2)!;
    assert.equal(errorEvent.event, "error");
    assert.equal(errorEvent.data.type, "error");
    assert.equal(errorEvent.data.code, "answer_memory");
    assert.equal(typeof errorEvent.data.message, "string");
    assert.equal(all.at(-1)!.event, "response.failed");
    assert.equal(all.filter((event) => event.event === "error").length, 1);
    for (const [index, event] of all.entries()) assert.equal(event.data.sequence_number, index);
    assert.equal(gateway.byok.answerMemory.held, 0);
  });

  test("past the share: the input tokens Anthropic reported are metered, not an estimate", async () => {
    const id = "anthropic-usage";
    const token = await addUser(gateway, id);
    await stream(token, 3 * MiB);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the call's record is written as it ends
    const report = (await call(gateway, "GET", "/v1/usage", { token })).body as {
      usage: { operator: { input_tokens: number; estimated_requests: number } };
    };
    assert.equal(report.usage.operator.input_tokens, INPUT_TOKENS, JSON.stringify(report.usage));
    assert.equal(report.usage.operator.estimated_requests, 0, JSON.stringify(report.usage));
  });
});
