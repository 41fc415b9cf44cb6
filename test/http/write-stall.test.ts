/**
 * @module test/http/write-stall
 * The write-stall limit with raw sockets: a client that stops reading a flooding stream or a large whole
 * answer is reset within the limit (the upstream call aborted, the call recorded as a client that left); a
 * slow but steady reader, and a stream quiet on a slow upstream for longer than the limit, are not cut.
 */
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { type GatewayUser, type ModelGateway, startModelGateway } from "../support/model-gateway.ts";
import { closedAt, connectRaw, writeRequest } from "../support/raw-http-client.ts";

const LIMIT_MS = 400;
/** The limit is checked four times per limit: a stall is seen at most a quarter of it late. */
const DETECTED_WITHIN_MS = LIMIT_MS * 1.25;
/** What detection may overrun by on a machine shared by many test runs (timers, the reset reaching the socket). */
const SLACK_MS = 1_500;
const TIMEOUT = { timeout: 20_000 };
const USER_KEY = "sk-user-openai-writestall-000000000";

/** One OpenAI chunk of 16 KiB of text. */
const BULKY_EVENT = `data: ${JSON.stringify({
  id: "chatcmpl-stall",
  object: "chat.completion.chunk",
  created: 1,
  model: "gpt-4.1-mini",
  choices: [{ index: 0, delta: { content: "x".repeat(16 * 1024) }, finish_reason: null }],
})}\n\n`;

const streamBody = { model: "summary", stream: true, messages: [{ role: "user", content: "flood" }] };
const wholeBody = { model: "summary", messages: [{ role: "user", content: "a long answer" }] };

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The next upstream stream: one bulky event each turn of the event loop until `events` were sent (then the
 * stream finishes) or `enough()` holds (then it stays open), or the upstream call is aborted.
 */
function floodNextStream(env: ModelGateway, events: number, enough: () => boolean = () => false): void {
  env.fakes.openai.respondNext(async (_request, response) => {
    response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
    for (let sent = 0; sent < events && !response.destroyed && !enough(); sent++) {
      response.write(BULKY_EVENT);
      await turn();
    }
    if (!response.destroyed && !enough()) response.end("data: [DONE]\n\n");
  });
}

/** The next upstream answer: a whole chat completion whose text is `bytes` long. */
function answerNextWhole(env: ModelGateway, bytes: number): void {
  env.fakes.openai.respondNext((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(
      JSON.stringify({
        id: "chatcmpl-whole",
        object: "chat.completion",
        created: 1,
        model: "gpt-4.1-mini",
        choices: [
          { index: 0, message: { role: "assistant", content: "y".repeat(bytes) }, finish_reason: "stop" },
        ],
        usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 },
      }),
    );
  });
}

/** Resolves once the gateway's socket holds bytes the kernel would not take (checked every turn). */
async function backedUp(server: Socket): Promise<void> {
  while (server.writableLength === 0) await turn();
}

/**
 * Reads a paused socket slowly but steadily, about `bytes` every `everyMs`, until it closes; resolves with what
 * it read and whether the connection was reset.
 */
function readSteadily(
  socket: Socket,
  bytes: number,
  everyMs: number,
): Promise<{ text: string; reset: boolean }> {
  const received: Buffer[] = [];
  let reset = false;
  let read = 0;
  socket.on("error", () => {
    reset = true;
  });
  socket.on("data", (chunk: Buffer) => {
    received.push(chunk);
    read += chunk.length;
    if (read >= bytes) socket.pause();
  });
  const reader = setInterval(() => {
    read = 0;
    socket.resume();
  }, everyMs);
  return new Promise((resolve) =>
    socket.once("close", () => {
      clearInterval(reader);
      resolve({ text: Buffer.concat(received).toString("utf8"), reset });
    }),
  );
}

/** Write-stall log lines so far. */
const stallLines = (env: ModelGateway) => env.gateway.logs.filter((line) => line.includes("write stall"));

async function request(env: ModelGateway, user: GatewayUser, body: unknown) {
  const connection = await connectRaw(env.gateway);
  writeRequest(
    connection.client,
    "/v1/chat/completions",
    { authorization: `Bearer ${user.token}`, connection: "close", ...user.headers },
    body,
  );
  return connection;
}

describe("the write-stall limit", () => {
  let env: ModelGateway;
  before(async () => {
    env = await startModelGateway({ config: { server: { writeStallTimeoutMs: LIMIT_MS } } });
  });
  after(() => env.close());

  test(
    "a stalled stream reader is reset within the limit, and its upstream call aborted",
    TIMEOUT,
    async () => {
      const user = await env.user({ openai: USER_KEY });
      let gatewaySocket: Socket | undefined;
      const full = Promise.withResolvers<void>();
      // Flooded until the gateway's socket to the client is backed up; the upstream then stays open.
      floodNextStream(env, Number.POSITIVE_INFINITY, () => {
        if (gatewaySocket?.writableNeedDrain !== true) return false;
        full.resolve();
        return true;
      });
      const upstreamAborted = env.fakes.openai.nextAbortedResponse();
      const served = env.gateway.waitForLog('"outcome":"client_aborted"');
      const stallsBefore = stallLines(env).length;
      const { client, server } = await request(env, user, streamBody);
      gatewaySocket = server;
      const serverClosed = closedAt(server);
      await full.promise;
      const fullAt = performance.now();
      await upstreamAborted; // released at once, not when the upstream's own limits end it
      const elapsed = (await serverClosed) - fullAt;
      assert.ok(elapsed < DETECTED_WITHIN_MS + SLACK_MS, `reset ${Math.round(elapsed)} ms after backing up`);
      assert.match(await served, /"outcome":"client_aborted"/); // recorded as a client that left
      const lines = stallLines(env);
      assert.equal(lines.length, stallsBefore + 1, "one line says why");
      const line = lines.at(-1)!;
      assert.match(line, /"path":"\/v1\/chat\/completions"/);
      assert.doesNotMatch(line, new RegExp(USER_KEY));
      const reset = await new Promise<string | undefined>((resolve) => {
        client.once("error", (error: NodeJS.ErrnoException) => resolve(error.code));
        client.once("close", () => resolve(undefined));
        client.resume();
      });
      assert.equal(reset, "ECONNRESET", "the connection was reset (RST), not closed in order");
    },
  );

  test("a stalled reader of a large whole answer is reset within the limit", TIMEOUT, async () => {
    const user = await env.user({ openai: USER_KEY });
    answerNextWhole(env, 16 * 1024 * 1024);
    const stallsBefore = stallLines(env).length;
    const { client, server } = await request(env, user, wholeBody);
    const serverClosed = closedAt(server);
    await backedUp(server);
    const backedUpAt = performance.now();
    const elapsed = (await serverClosed) - backedUpAt;
    assert.ok(elapsed < DETECTED_WITHIN_MS + SLACK_MS, `reset ${Math.round(elapsed)} ms after backing up`);
    const lines = stallLines(env);
    assert.equal(lines.length, stallsBefore + 1, "one line says why");
    assert.match(lines.at(-1)!, /"waitingBytes":[1-9]/);
    client.destroy();
  });

  test("a slow but steady reader of a large whole answer is not cut", TIMEOUT, async () => {
    const user = await env.user({ openai: USER_KEY });
    const size = 16 * 1024 * 1024;
    answerNextWhole(env, size);
    const stallsBefore = stallLines(env).length;
    const { client, server } = await request(env, user, wholeBody);
    const startedAt = performance.now();
    await backedUp(server);
    const { text, reset } = await readSteadily(client, 128 * 1024, 25);
    const took = performance.now() - startedAt;
    assert.equal(reset, false);
    assert.match(text, /^HTTP\/1\.1 200 /);
    assert.ok(text.includes(`"content":"${"y".repeat(size)}"`), "the whole answer arrived");
    // One write that took several limits to drain, each limit with some progress.
    assert.ok(took > 2 * LIMIT_MS, `the read took ${Math.round(took)} ms`);
    assert.equal(stallLines(env).length, stallsBefore);
  });

  test("a slow but steady reader of a flooding stream is not cut", TIMEOUT, async () => {
    const user = await env.user({ openai: USER_KEY });
    floodNextStream(env, 512); // 8 MiB
    const stallsBefore = stallLines(env).length;
    const { client, server } = await request(env, user, streamBody);
    const startedAt = performance.now();
    await backedUp(server);
    const { text, reset } = await readSteadily(client, 128 * 1024, 25);
    const took = performance.now() - startedAt;
    assert.equal(reset, false);
    assert.ok(text.includes("data: [DONE]"), "the stream ended normally");
    assert.ok(took > 2 * LIMIT_MS, `the read took ${Math.round(took)} ms`);
    assert.equal(stallLines(env).length, stallsBefore);
  });

  test("a stream quiet on a slow upstream for longer than the limit is not cut", TIMEOUT, async () => {
    const user = await env.user({ openai: USER_KEY });
    const stallsBefore = stallLines(env).length;
    // The upstream thinks for three limits between its two events (a slow upstream, not a wait of the test's).
    env.fakes.openai.respondNext((_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      const chunk = (content: string) =>
        `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
      response.write(chunk("first "));
      const timer = setTimeout(() => response.end(`${chunk("second")}data: [DONE]\n\n`), 3 * LIMIT_MS);
      response.once("close", () => clearTimeout(timer));
    });
    const stream = await user.openai.chat.completions.create({
      model: "summary",
      stream: true,
      messages: [{ role: "user", content: "take your time" }],
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    assert.equal(text, "first second");
    assert.equal(stallLines(env).length, stallsBefore);
  });
});
