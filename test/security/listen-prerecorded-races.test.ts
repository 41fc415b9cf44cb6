/**
 * @module test/security/listen-prerecorded-races
 * `POST /v1/listen` when a side goes away mid-transfer (the "EPIPE race"): a client that disconnects while
 * its upload streams to Deepgram, a Deepgram that answers and resets while the upload is still being
 * written, and a client that disconnects while the answer is written back. No uncaught error, nothing
 * left open, and the same gateway serves the next request.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import net, { type AddressInfo, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { type ListenGateway, type ListenUser, startListenGateway } from "../support/listen-gateway.ts";

const TIMEOUT = { timeout: 30_000 };
const MiB = 1024 * 1024;

type Behaviour = (request: IncomingMessage, response: ServerResponse) => void;

/** Process-level faults seen while the file runs (none may happen). */
const faults: unknown[] = [];
const onFault = (error: unknown) => {
  faults.push(error);
  console.error("FAULT", error);
};

const answer = (bytes: number) => {
  const padding = "x".repeat(Math.max(0, bytes - 200));
  return JSON.stringify({ metadata: { request_id: "r", duration: 1.5, channels: 1 }, results: { padding } });
};

/** Sends a raw POST /v1/listen head and `sent` bytes of a declared `declared`-byte body over a raw socket. */
async function rawUpload(
  env: ListenGateway,
  user: ListenUser,
  declared: number,
  sent: number,
): Promise<Socket> {
  const url = new URL(env.gateway.url);
  const socket = net.connect(Number(url.port), url.hostname);
  await once(socket, "connect");
  const head = [
    "POST /v1/listen?model=transcription HTTP/1.1",
    `host: ${url.host}`,
    `authorization: Token ${user.token}`,
    "content-type: audio/wav",
    `content-length: ${declared}`,
    "",
    "",
  ].join("\r\n");
  socket.write(head);
  socket.on("error", () => {});
  const chunk = Buffer.alloc(64 * 1024, 1);
  for (let at = 0; at < sent; at += chunk.length) {
    if (!socket.write(chunk.subarray(0, Math.min(chunk.length, sent - at)))) await once(socket, "drain");
  }
  return socket;
}

describe("prerecorded transfers cut mid-way", () => {
  let upstream: Server;
  let behaviour: Behaviour = (_request, response) => response.end(answer(300));
  let env: ListenGateway;
  before(async () => {
    process.on("uncaughtException", onFault);
    process.on("unhandledRejection", onFault);
    upstream = createServer((request, response) => {
      request.on("error", () => {}); // the gateway aborting its upload is the fake's to ignore
      response.on("error", () => {});
      behaviour(request, response);
    });
    upstream.listen(0, "127.0.0.1");
    await once(upstream, "listening");
    const port = (upstream.address() as AddressInfo).port;
    env = await startListenGateway({
      config: { providers: { deepgram: { baseUrl: `http://127.0.0.1:${port}` } } },
    });
  });
  after(async () => {
    await env.close();
    upstream.closeAllConnections();
    upstream.close();
    process.off("uncaughtException", onFault);
    process.off("unhandledRejection", onFault);
  });

  async function stillServes(user: ListenUser): Promise<void> {
    behaviour = (request, response) => {
      request.resume();
      request.on("end", () => response.end(answer(300)));
    };
    const response = await fetch(`${env.gateway.url}/v1/listen?model=transcription`, {
      method: "POST",
      headers: { authorization: `Token ${user.token}`, "content-type": "audio/wav" },
      body: Buffer.alloc(1000, 2),
    });
    assert.equal(response.status, 200, await response.text());
    assert.deepEqual(faults, [], "no uncaught error or unhandled rejection");
  }

  test("a client that disconnects while its upload streams to Deepgram", TIMEOUT, async () => {
    const user = await env.user({});
    const arrived = Promise.withResolvers<IncomingMessage>();
    behaviour = (request) => arrived.resolve(request); // reads, never answers
    const socket = await rawUpload(env, user, 64 * MiB, 6 * MiB);
    const request = await arrived.promise;
    request.resume();
    socket.destroy();
    await new Promise((resolve) => request.once("close", resolve));
    await stillServes(user);
  });

  test("a client that disconnects while its upload is held for replay", TIMEOUT, async () => {
    const user = await env.user({});
    const socket = await rawUpload(env, user, 3 * MiB, MiB); // within replayUploadBytes: read whole first
    const closed = new Promise((resolve) => socket.once("close", resolve));
    socket.destroy();
    await closed;
    await stillServes(user);
  });

  test("Deepgram answers and resets while the upload is still being written", TIMEOUT, async () => {
    const user = await env.user({});
    behaviour = (request, response) => {
      response.writeHead(400, { "content-type": "application/json" });
      response.end(JSON.stringify({ err_code: "Bad Request", err_msg: "nope", request_id: "r" }), () =>
        request.socket.resetAndDestroy(),
      );
    };
    const socket = await rawUpload(env, user, 64 * MiB, 0);
    const chunk = Buffer.alloc(64 * 1024, 1);
    const closed = new Promise((resolve) => socket.once("close", resolve));
    // Keep writing until the gateway answers or closes the connection.
    let answered = "";
    socket.on("data", (data) => {
      answered += data.toString("latin1");
    });
    for (let sent = 0; sent < 32 * MiB && !socket.destroyed && answered === ""; sent += chunk.length) {
      if (!socket.write(chunk)) {
        await Promise.race([new Promise((resolve) => socket.once("drain", resolve)), closed]);
      }
    }
    socket.destroy();
    await closed;
    await stillServes(user);
  });

  test("a client that disconnects while the answer is written back", TIMEOUT, async () => {
    const user = await env.user({});
    behaviour = (request, response) => {
      request.resume();
      request.on("end", () => response.end(answer(4 * MiB)));
    };
    const socket = await rawUpload(env, user, 1000, 1000);
    await once(socket, "data"); // the answer is being written
    socket.resetAndDestroy();
    await stillServes(user);
  });
});
