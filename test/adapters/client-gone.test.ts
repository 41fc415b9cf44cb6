/**
 * @module test/adapters/client-gone
 * A client that leaves in the middle of a model call made by a guarded route of the embedding app: on every
 * adapter (Node/Connect, Fastify plugin and hooks, Hono, fetch-style) the upstream call is cancelled at once
 * and reported (`client_aborted`), as the standalone server does; the app passes no abort signal of its own.
 * Fetch-style apps are served as `@hono/node-server` serves them (the request's signal aborts when the client
 * leaves, the response body is cancelled).
 */
import assert from "node:assert/strict";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { generateText, streamText } from "ai";
import Fastify from "fastify";
import { Hono } from "hono";
import { byokFastify, createByokHooks } from "../../src/fastify.ts";
import { byokHono } from "../../src/hono.ts";
import { type Byok, createFetchHandler, createNodeMiddleware } from "../../src/index.ts";
import { ADAPTERS, type AdapterApp, type AdapterName } from "../support/adapter-apps.ts";
import { type AnthropicGateway, startAnthropicGateway } from "../support/anthropic-gateway.ts";
import { serveFetch } from "../support/serve-fetch.ts";

(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

let env: AnthropicGateway;
before(async () => {
  env = await startAnthropicGateway();
});
after(() => env.close());

/** The app's streaming route: the text of a model call, no abort signal passed. */
function streamAnswer(byok: Byok): ReadableStream<Uint8Array> {
  const result = streamText({ model: byok.model("gpt"), prompt: "hang", maxRetries: 0, onError: () => {} });
  return result.textStream.pipeThrough(new TextEncoderStream());
}

/** The app's whole-answer route. */
async function wholeAnswerOf(byok: Byok, prompt: string): Promise<string> {
  const { text } = await generateText({ model: byok.model("gpt"), prompt, maxRetries: 0 });
  return text;
}
const wholeAnswer = (byok: Byok) => wholeAnswerOf(byok, "hang");
let afterAnswer = Promise.withResolvers<string>();

async function startApp(name: AdapterName, byok: Byok): Promise<AdapterApp> {
  switch (name) {
    case "node": {
      const guard = createNodeMiddleware(byok);
      const server = createServer((request, response) => {
        guard(request, response, () => {
          if (request.url === "/guarded/after") {
            // Answered first, then a call in the same context: the finished answer never cuts it.
            response.end("accepted");
            response.once("close", () => {
              wholeAnswerOf(byok, "hello after").then(
                (text) => afterAnswer.resolve(text),
                (error: unknown) => afterAnswer.reject(error),
              );
            });
            return;
          }
          if (request.url === "/guarded/whole") {
            wholeAnswer(byok).then(
              (text) => response.end(text),
              () => response.destroy(),
            );
            return;
          }
          // As an AI SDK app writes it (the AI SDK's own Node writer).
          streamText({ model: byok.model("gpt"), prompt: "hang", maxRetries: 0 }).pipeTextStreamToResponse(
            response,
          );
        });
      });
      server.listen(0, "127.0.0.1");
      await new Promise((resolve) => server.once("listening", resolve));
      return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      };
    }
    case "fastify-plugin":
    case "fastify-hooks": {
      const app = Fastify();
      const routes = (scope: typeof app, hooks: object) => {
        scope.get("/guarded/stream", hooks, (_request, reply) =>
          reply.type("text/plain").send(Readable.fromWeb(streamAnswer(byok) as never)),
        );
        scope.get("/guarded/whole", hooks, () => wholeAnswer(byok));
      };
      if (name === "fastify-plugin") {
        await app.register(async (scope) => {
          await scope.register(byokFastify, { byok });
          routes(scope as never, {});
        });
      } else routes(app, { ...createByokHooks(byok) });
      const url = await app.listen({ port: 0, host: "127.0.0.1" });
      return { url, close: () => app.close() };
    }
    case "hono": {
      const app = new Hono();
      app.use("/guarded/*", byokHono(byok));
      app.get("/guarded/stream", () => new Response(streamAnswer(byok)));
      app.get("/guarded/whole", async (c) => c.text(await wholeAnswer(byok)));
      return serveFetch((request) => app.fetch(request));
    }
    case "fetch": {
      const stream = createFetchHandler(byok, () => new Response(streamAnswer(byok)));
      const whole = createFetchHandler(byok, async () => new Response(await wholeAnswer(byok)));
      return serveFetch((request) =>
        (new URL(request.url).pathname === "/guarded/whole" ? whole : stream)(request),
      );
    }
  }
}

/** Sends the request, waits for the answer to start (a first byte, or its headers), then leaves. */
function requestThenLeave(url: string, token: string, waitForByte: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { headers: { authorization: `Bearer ${token}` } }, (response) => {
      if (!waitForByte) return;
      response.once("data", () => {
        outgoing.destroy();
        resolve();
      });
    });
    outgoing.on("error", () => {});
    outgoing.end();
    if (!waitForByte) {
      // The whole answer never starts (the upstream hangs): leave once the call is in flight upstream.
      sleep(300).then(() => {
        outgoing.destroy();
        resolve();
      }, reject);
    }
  });
}

const within = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([
    promise,
    sleep(ms).then(() => {
      throw new Error(`${what} within ${ms} ms`);
    }),
  ]);

for (const adapter of ADAPTERS) {
  describe(`the ${adapter} adapter, a client that leaves`, () => {
    let app: AdapterApp;
    before(async () => {
      app = await startApp(adapter, env.gateway.byok);
    });
    after(() => app.close());

    for (const [path, waitForByte] of [
      ["/guarded/stream", true],
      ["/guarded/whole", false],
    ] as const) {
      test(`${path}: the upstream call is cancelled and reported`, async () => {
        const user = await env.user();
        const aborted = env.fakes.openai.nextAbortedResponse();
        await requestThenLeave(`${app.url}${path}`, user.token, waitForByte);
        await within(aborted, 3000, "the upstream call was not cancelled");
        const line = await within(
          env.gateway.waitForLog(`"userId":"${user.id}"`),
          3000,
          "the call was not reported",
        );
        assert.match(line, /"outcome":"client_aborted"/);
      });
    }
  });
}

test("a call the app starts once its answer finished is not cut (the client did not leave)", async () => {
  afterAnswer = Promise.withResolvers<string>();
  const app = await startApp("node", env.gateway.byok);
  try {
    const user = await env.user();
    const answer = await fetch(`${app.url}/guarded/after`, {
      headers: { authorization: `Bearer ${user.token}` },
    });
    assert.equal(await answer.text(), "accepted");
    assert.ok((await within(afterAnswer.promise, 3000, "the call after the answer did not end")).length > 0);
  } finally {
    await app.close();
  }
});
