/**
 * One user's large or slow whole answers cannot take the memory every user's calls share: what whole
 * answers hold is counted per user and in all (`server.answerMemoryBytes*`) from their first byte until
 * their response ends, and an error answer's body is held only up to 64 KiB.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { APICallError } from "@ai-sdk/provider";
import { generateText } from "ai";
import { addUser, call, errorOf } from "../support/gateway-client.ts";
import { startGateway, type TestGateway } from "../support/start-gateway.ts";

const MiB = 1024 * 1024;

/** What the test asks the provider for, sent as the user message's text. */
interface Script {
  /** Characters of answer text. */
  readonly size: number;
  /** Hold the answer's last byte until `release(hold)`. */
  readonly hold?: string;
  /** Answer with this error status, the text as the error's message. */
  readonly status?: number;
}

/** A provider answering chat completions as each request's script says. */
async function startScriptedProvider() {
  const held = new Map<string, () => void>();
  const arrived = new Map<string, () => void>();
  const server = http.createServer(async (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const request = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
      stream?: boolean;
      messages: { content: string | { text: string }[] }[];
    };
    const content = request.messages[0]!.content;
    const script = JSON.parse(typeof content === "string" ? content : content[0]!.text) as Script;
    const text = "x".repeat(script.size);
    if (script.status !== undefined) {
      const body = JSON.stringify({ error: { message: `boom ${text}`, type: "server_error" } });
      outgoing.writeHead(script.status, { "content-type": "application/json" }).end(body);
      return;
    }
    const body = Buffer.from(
      JSON.stringify({
        id: "chatcmpl-memory",
        object: "chat.completion",
        created: 1,
        model: "gpt-4.1-mini",
        choices: [
          { index: 0, message: { role: "assistant", content: text }, finish_reason: "stop", logprobs: null },
        ],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      }),
    );
    outgoing.writeHead(200, { "content-type": "application/json", "content-length": body.length });
    if (script.hold === undefined) {
      outgoing.end(body);
      return;
    }
    outgoing.write(body.subarray(0, -1));
    held.set(script.hold, () => outgoing.end(body.subarray(-1)));
    arrived.get(script.hold)?.();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    /** Resolves once the provider has sent all but the last byte of the held answer. */
    sent: (hold: string) =>
      new Promise<void>((resolve) => {
        if (held.has(hold)) resolve();
        else arrived.set(hold, resolve);
      }),
    release: (hold: string) => held.get(hold)?.(),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

describe("answer memory: whole answers held per user and in all", () => {
  let gateway: TestGateway;
  let provider: Awaited<ReturnType<typeof startScriptedProvider>>;
  const tokens: Record<string, string> = {};
  before(async () => {
    provider = await startScriptedProvider();
    gateway = await startGateway({
      config: {
        server: { answerMemoryBytes: 2 * MiB, answerMemoryBytesPerUser: 1 * MiB },
        providers: { openai: { baseUrl: provider.url, apiKey: "sk-operator-memory-0000000000" } },
        features: {
          chat: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }], operatorFallback: true },
        },
      },
    });
    for (const name of ["alice", "bob", "carol"]) tokens[name] = await addUser(gateway, `memory-${name}`);
  });
  after(async () => {
    await gateway.close();
    await provider.close();
  });

  const ask = (user: string, script: Script, stream = false) =>
    call(gateway, "POST", "/v1/chat/completions", {
      token: tokens[user]!,
      body: { model: "chat", stream, messages: [{ role: "user", content: JSON.stringify(script) }] },
    });

  /** Fails when the gateway answers a held call before its provider sent it (it would never be sent). */
  const answeredFirst = (pending: Promise<{ status: number }>) =>
    pending.then((response) => assert.fail(`answered ${response.status} before the provider sent it`));

  /** Waits, turn by turn, until the gateway counts at least `bytes` for the user (fails after 10 s). */
  async function heldAtLeast(user: string, bytes: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (gateway.byok.answerMemory.heldBy(`memory-${user}`) < bytes) {
      assert.ok(Date.now() < deadline, `the gateway never counted ${bytes} bytes for ${user}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  test("an answer under the user's share is served, and its bytes are given back", async () => {
    const response = await ask("alice", { size: 300_000 });
    assert.equal(response.status, 200);
    assert.equal(
      (response.body as { choices: { message: { content: string } }[] }).choices[0]!.message.content.length,
      300_000,
    );
    assert.equal(gateway.byok.answerMemory.held, 0);
  });

  test("an answer larger than the user's share: 429 rate_limited, code answer_memory", async () => {
    const response = await ask("alice", { size: 1.5 * MiB });
    assert.equal(response.status, 429);
    assert.equal(errorOf(response).type, "rate_limited");
    assert.equal(errorOf(response).code, "answer_memory");
    assert.equal(response.headers.get("retry-after"), "1");
    assert.equal(gateway.byok.answerMemory.held, 0);
  });

  test("a slow answer holds the user's share: the user's next one is refused, another user's served", async () => {
    const slow = ask("alice", { size: 800_000, hold: "alice-slow" });
    await Promise.race([provider.sent("alice-slow"), answeredFirst(slow)]);
    await heldAtLeast("alice", 700_000);
    const metrics = await call(gateway, "GET", "/metrics");
    const gauge = /^byok_answer_memory_bytes (\d+)$/m.exec(metrics.text);
    assert.ok(gauge !== null && Number(gauge[1]) >= 700_000, "the gauge shows what the slow answer holds");
    const second = await ask("alice", { size: 400_000 });
    assert.equal(second.status, 429);
    assert.equal(errorOf(second).code, "answer_memory");
    const other = await ask("bob", { size: 400_000 });
    assert.equal(other.status, 200);
    provider.release("alice-slow");
    assert.equal((await slow).status, 200);
    assert.equal(gateway.byok.answerMemory.held, 0);
  });

  test("slow answers of several users hold the process's budget: the next call is 503", async () => {
    const first = ask("alice", { size: 900_000, hold: "alice-full" });
    const second = ask("bob", { size: 900_000, hold: "bob-full" });
    await Promise.race([
      Promise.all([provider.sent("alice-full"), provider.sent("bob-full")]),
      answeredFirst(first),
      answeredFirst(second),
    ]);
    await heldAtLeast("alice", 800_000);
    await heldAtLeast("bob", 800_000);
    const third = await ask("carol", { size: 400_000 });
    assert.equal(third.status, 503);
    assert.equal(errorOf(third).type, "service_unavailable");
    assert.equal(errorOf(third).code, "answer_memory");
    provider.release("alice-full");
    provider.release("bob-full");
    assert.equal((await first).status, 200);
    assert.equal((await second).status, 200);
    assert.equal(gateway.byok.answerMemory.held, 0);
    assert.equal((await ask("carol", { size: 400_000 })).status, 200);
  });

  test("an error answer's text is shown when short, and not read past 64 KiB (whole or streamed call)", async () => {
    const short = await ask("carol", { size: 10, status: 500 });
    assert.equal(short.status, 502);
    assert.match(errorOf(short).message, /boom/);
    for (const stream of [false, true]) {
      const long = await ask("carol", { size: 100_000, status: 500 }, stream);
      assert.equal(long.status, 502);
      assert.doesNotMatch(errorOf(long).message, /boom/);
    }
    assert.equal(gateway.byok.answerMemory.held, 0);
  });

  test("the AI SDK models count their whole answers too (library mode)", async () => {
    const model = gateway.byok.model("chat", { userId: "memory-carol" });
    await assert.rejects(
      generateText({ model, prompt: JSON.stringify({ size: 1.5 * MiB }), maxRetries: 0 }),
      (error: unknown) => APICallError.isInstance(error) && error.statusCode === 429,
    );
    assert.equal(gateway.byok.answerMemory.held, 0);
    const served = await generateText({ model, prompt: JSON.stringify({ size: 300_000 }), maxRetries: 0 });
    assert.equal(served.text.length, 300_000);
    assert.equal(gateway.byok.answerMemory.held, 0);
  });
});
