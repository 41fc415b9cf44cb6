/**
 * @module test/http/write-stall-pipelined
 * A client that pipelines requests and then stops reading: a response queued behind a slow one (a stream or a
 * whole answer written before it gets the socket) is still held to the write-stall limit.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import type { ServerResponse } from "node:http";
import { after, before, describe, test } from "node:test";
import { type ModelGateway, startModelGateway } from "../support/model-gateway.ts";
import { connectRaw } from "../support/raw-http-client.ts";

const LIMIT_MS = 400;
const SLACK_MS = 2_500;
const TIMEOUT = { timeout: 30_000 };
const USER_KEY = "sk-user-openai-review2stall-0000000";

const chunk = (content: string) =>
  `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "gpt-4.1-mini", choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
const BULKY_EVENT = chunk("x".repeat(16 * 1024));

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

function requestText(path: string, headers: Record<string, string>, body: unknown): string {
  const text = JSON.stringify(body);
  const lines = [`POST ${path} HTTP/1.1`, "host: 127.0.0.1", "content-type: application/json"];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  lines.push(`content-length: ${Buffer.byteLength(text)}`);
  return `${lines.join("\r\n")}\r\n\r\n${text}`;
}

describe("the write-stall limit holds pipelined responses", () => {
  let env: ModelGateway;
  before(async () => {
    env = await startModelGateway({ config: { server: { writeStallTimeoutMs: LIMIT_MS } } });
  });
  after(() => env.close());

  test(
    "a pipelined stream queued behind a slow response, whose client never reads, is reset and its upstream released",
    TIMEOUT,
    async () => {
      const user = await env.user({ openai: USER_KEY });
      const firstEnded = Promise.withResolvers<number>();
      let floodUpstream: ServerResponse | undefined;
      const floodClosed = Promise.withResolvers<number>();
      // Both upstream calls run at once; each is told apart by its prompt.
      const handler = async (request: { body: unknown }, response: ServerResponse) => {
        const prompt = JSON.stringify(request.body);
        response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
        if (prompt.includes("slow")) {
          // A small stream that ends after a while: it fits the kernel's buffers, so it finishes.
          response.write(chunk("slow "));
          await new Promise((resolve) => setTimeout(resolve, 600));
          response.end(`${chunk("done")}data: [DONE]\n\n`);
          firstEnded.resolve(performance.now());
          return;
        }
        floodUpstream = response;
        response.once("close", () => floodClosed.resolve(performance.now()));
        // Floods, with the gateway's backpressure, until the gateway lets go of the call.
        while (!response.destroyed) {
          if (!response.write(BULKY_EVENT)) {
            await Promise.race([once(response, "drain"), once(response, "close")]);
          }
          await turn();
        }
      };
      env.fakes.openai.respondNext(handler);
      env.fakes.openai.respondNext(handler);
      const { client, server } = await connectRaw(env.gateway);
      client.on("error", () => {});
      const headers = { authorization: `Bearer ${user.token}`, ...user.headers };
      const slow = { model: "summary", stream: true, messages: [{ role: "user", content: "slow" }] };
      const flood = { model: "summary", stream: true, messages: [{ role: "user", content: "flood" }] };
      // Two pipelined requests in one write; the client then reads nothing at all.
      client.write(
        requestText("/v1/chat/completions", headers, slow) +
          requestText("/v1/chat/completions", headers, flood),
      );
      const endedAt = await firstEnded.promise;
      const serverClosed = new Promise<number>((resolve) => {
        if (server.destroyed) resolve(performance.now());
        else server.once("close", () => resolve(performance.now()));
      });
      const deadline = new Promise<"held">((resolve) =>
        setTimeout(() => resolve("held"), 4 * LIMIT_MS + SLACK_MS).unref(),
      );
      const outcome = await Promise.race([floodClosed.promise, deadline]);
      const socketOutcome = await Promise.race([serverClosed, deadline]);
      const waiting = server.writableLength;
      client.destroy();
      floodUpstream?.destroy();
      assert.notEqual(
        outcome,
        "held",
        `the flooding upstream call was still held ${4 * LIMIT_MS + SLACK_MS} ms after the first response ended (${waiting} bytes waiting on the client's socket)`,
      );
      assert.notEqual(socketOutcome, "held", "the stalled client's socket was still open");
      assert.ok((outcome as number) > endedAt);
    },
  );

  test(
    "a pipelined whole answer queued behind a slow response, whose client never reads, is reset",
    TIMEOUT,
    async () => {
      const user = await env.user({ openai: USER_KEY });
      const firstEnded = Promise.withResolvers<number>();
      const wholeSent = Promise.withResolvers<void>();
      const size = 16 * 1024 * 1024;
      const handler = async (request: { body: unknown }, response: ServerResponse) => {
        const prompt = JSON.stringify(request.body);
        if (prompt.includes("slow")) {
          response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
          response.write(chunk("slow "));
          await wholeSent.promise; // the whole answer is answered (queued behind this one) first
          await new Promise((resolve) => setTimeout(resolve, 300));
          response.end(`${chunk("done")}data: [DONE]\n\n`);
          firstEnded.resolve(performance.now());
          return;
        }
        response.writeHead(200, { "content-type": "application/json" });
        response.end(
          JSON.stringify({
            id: "chatcmpl-whole",
            object: "chat.completion",
            created: 1,
            model: "gpt-4.1-mini",
            choices: [
              { index: 0, message: { role: "assistant", content: "y".repeat(size) }, finish_reason: "stop" },
            ],
            usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 },
          }),
        );
        response.once("finish", () => wholeSent.resolve());
      };
      env.fakes.openai.respondNext(handler);
      env.fakes.openai.respondNext(handler);
      const { client, server } = await connectRaw(env.gateway);
      client.on("error", () => {});
      const headers = { authorization: `Bearer ${user.token}`, ...user.headers };
      const slow = { model: "summary", stream: true, messages: [{ role: "user", content: "slow" }] };
      const whole = { model: "summary", messages: [{ role: "user", content: "whole" }] };
      client.write(
        requestText("/v1/chat/completions", headers, slow) +
          requestText("/v1/chat/completions", headers, whole),
      );
      await firstEnded.promise;
      const stallsBefore = env.gateway.logs.filter((line) => line.includes("write stall")).length;
      const serverClosed = new Promise<"closed">((resolve) => {
        if (server.destroyed) resolve("closed");
        else server.once("close", () => resolve("closed"));
      });
      const deadline = new Promise<"held">((resolve) =>
        setTimeout(() => resolve("held"), 4 * LIMIT_MS + SLACK_MS).unref(),
      );
      const outcome = await Promise.race([serverClosed, deadline]);
      const waiting = server.writableLength;
      const stalls = env.gateway.logs.filter((line) => line.includes("write stall")).length - stallsBefore;
      client.destroy();
      assert.equal(
        outcome,
        "closed",
        `the client's socket was still held ${4 * LIMIT_MS + SLACK_MS} ms after the first response ended, ${waiting} bytes waiting, ${stalls} stall lines`,
      );
    },
  );
});
