/**
 * @module test/http/connection-timeouts
 * Connection hygiene with small `server.*` time-outs, checked with raw sockets: a slowloris client sending
 * one header byte every 200 ms is cut, a connection that sends nothing is closed, an idle keep-alive
 * connection is closed; a long, quiet SSE response is not cut by them, nor is a quiet live WebSocket session.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { nextConnection, openLive, startListenGateway } from "../support/listen-gateway.ts";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";
import { chunks, pcm16Sine } from "../support/test-audio.ts";

const SERVER = {
  headersTimeoutMs: 400,
  requestTimeoutMs: 600,
  keepAliveTimeoutMs: 300,
  connectionTimeoutMs: 500,
};
/** Generous: the point is that the connection is cut at all, on a machine shared by many test runs. */
const CUT_WITHIN_MS = 5_000;

async function rawSocket(
  url: string,
): Promise<{ socket: Socket; received: () => string; closed: Promise<unknown> }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await once(socket, "connect");
  let text = "";
  socket.on("data", (chunk: Buffer) => {
    text += chunk.toString("latin1");
  });
  socket.on("error", () => {});
  return { socket, received: () => text, closed: once(socket, "close") };
}

const closesWithin = (closed: Promise<unknown>, ms: number) =>
  Promise.race([closed.then(() => "closed"), delay(ms, "open", { ref: false })]);

describe("connection time-outs", () => {
  let env: ModelGateway;
  before(async () => {
    env = await startModelGateway({ config: { server: SERVER } });
  });
  after(() => env.close());

  test("a slowloris client (one header byte every 200 ms) is cut", async () => {
    const { socket, received, closed } = await rawSocket(env.gateway.url);
    socket.write("GET /healthz HTTP/1.1\r\nHost: gateway\r\n");
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write("x");
    }, 200);
    const startedAt = performance.now();
    try {
      assert.equal(await closesWithin(closed, CUT_WITHIN_MS), "closed", "the slow client was cut");
    } finally {
      clearInterval(drip);
    }
    assert.ok(
      performance.now() - startedAt >= SERVER.headersTimeoutMs * 0.9,
      "not before the headers time-out",
    );
    assert.match(received(), /^HTTP\/1\.1 408 /);
  });

  test("a connection that sends nothing is closed", async () => {
    const { received, closed } = await rawSocket(env.gateway.url);
    assert.equal(await closesWithin(closed, CUT_WITHIN_MS), "closed");
    assert.doesNotMatch(received(), /HTTP\/1\.1 2/);
  });

  test("an idle keep-alive connection is closed after its request", async () => {
    const { socket, received, closed } = await rawSocket(env.gateway.url);
    socket.write("GET /healthz HTTP/1.1\r\nHost: gateway\r\nConnection: keep-alive\r\n\r\n");
    assert.equal(await closesWithin(closed, CUT_WITHIN_MS), "closed");
    assert.match(received(), /^HTTP\/1\.1 200 /, "the request itself was answered");
  });

  test("a streamed response quieter and longer than every time-out is not cut", async () => {
    const user = await env.user({ openai: "sk-user-openai-timeouts-0000000000" });
    // Two chunks 1.5 s apart: longer than the request, connection and keep-alive time-outs together.
    env.fakes.openai.respondNext((_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      const chunk = (content: string) =>
        `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
      response.write(chunk("first "));
      const timer = setTimeout(() => response.end(`${chunk("second")}data: [DONE]\n\n`), 1_500);
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
  });
});

test("a quiet live WebSocket session is not cut by the connection time-outs", {
  timeout: 30_000,
}, async () => {
  const env = await startListenGateway({
    config: { server: SERVER, speechToText: { livePingIntervalMs: 0 } },
  });
  try {
    const user = await env.user({ deepgram: "dg-user-key-timeouts-0123456789abcdef" });
    const opened = nextConnection(env);
    const live = await openLive(
      env.liveUrl,
      { model: "transcription", encoding: "linear16", sample_rate: "16000" },
      { authorization: `Token ${user.token}`, ...user.headers },
    );
    await opened;
    // Silent for longer than the request, connection and keep-alive time-outs together.
    const quiet = await Promise.race([live.closed, delay(1_500, "open", { ref: false })]);
    assert.equal(quiet, "open", "the live session survived its quiet time");
    for (const frame of chunks(pcm16Sine({ seconds: 0.2 }), 640)) live.ws.send(frame);
    live.ws.send(JSON.stringify({ type: "CloseStream" }));
    assert.equal((await live.closed).code, 1000);
  } finally {
    await env.close();
  }
});
