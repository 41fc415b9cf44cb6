/**
 * @module test/gateway/revocation-closes-stalled-clients
 * A cut ends the client's side too: a client that stopped reading loses its socket within the cut's grace
 * (a stream backed up to it, a live session whose close frame it never answers); a reading client still
 * gets the stream's `user_revoked` error event and a clean end, and a pending whole call its 401 answer.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { CUT_GRACE_MS } from "../../src/http/close-after-cut.ts";
import { call } from "../support/gateway-client.ts";
import { type ListenUser, nextConnection, startListenGateway } from "../support/listen-gateway.ts";
import { type GatewayUser, type ModelGateway, startModelGateway } from "../support/model-gateway.ts";
import { closedAt, connectRaw, readToClose, writeRequest } from "../support/raw-http-client.ts";
import { ADMIN_TOKEN, type TestGateway } from "../support/start-gateway.ts";

const USER_KEY = "sk-user-openai-stalled-0000000000000";
const DEEPGRAM_KEY = "dg-user-key-stalled-0123456789abcdef";
const TIMEOUT = { timeout: 15_000 };
/** What the grace may overrun by on a busy machine (timers, the reset reaching the socket). */
const SLACK_MS = 1_500;

/** One OpenAI chunk of 16 KiB of text. */
const BULKY_EVENT = `data: ${JSON.stringify({
  id: "chatcmpl-stalled",
  object: "chat.completion.chunk",
  created: 1,
  model: "gpt-4.1-mini",
  choices: [{ index: 0, delta: { content: "x".repeat(16 * 1024) }, finish_reason: null }],
})}\n\n`;

/**
 * The next upstream stream: one bulky event each turn of the event loop (the kernel's buffers and the
 * fake's own take what the gateway does not read yet), until `enough()` holds or the upstream call is
 * aborted; the stream then stays open.
 */
function floodNextStream(env: ModelGateway, enough: () => boolean): void {
  env.fakes.openai.respondNext(async (_request, response) => {
    response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
    while (!response.destroyed && !enough()) {
      response.write(BULKY_EVENT);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  });
}

const streamBody = { model: "summary", stream: true, messages: [{ role: "user", content: "flood" }] };

async function revoke(gateway: TestGateway, user: GatewayUser | { id: string }): Promise<number> {
  const revoked = await call(gateway, "DELETE", `/admin/users/${user.id}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  assert.equal(revoked.status, 200, revoked.text);
  return performance.now();
}

describe("a cut closes the socket of a client that stopped reading", () => {
  let env: ModelGateway;
  before(async () => {
    env = await startModelGateway();
  });
  after(() => env.close());

  test(
    "a revoked user's stream backed up to a stalled client: the gateway closes its socket within the grace",
    TIMEOUT,
    async () => {
      const user = await env.user({ openai: USER_KEY });
      const { client, server } = await connectRaw(env.gateway);
      // The gateway's socket to the client holds bytes the kernel would not take (checked a turn after the
      // gateway's write, once it tried): the client's buffers are full.
      const backedUp = Promise.withResolvers<void>();
      floodNextStream(env, () => {
        if (!server.writableNeedDrain) return false;
        backedUp.resolve();
        return true;
      });
      const upstreamAborted = env.fakes.openai.nextAbortedResponse();
      writeRequest(
        client,
        "/v1/chat/completions",
        { authorization: `Bearer ${user.token}`, ...user.headers },
        streamBody,
      );
      await backedUp.promise;
      const serverClosed = closedAt(server);
      const revokedAt = await revoke(env.gateway, user);
      await upstreamAborted; // the upstream call is cut as before
      const elapsed = (await serverClosed) - revokedAt;
      assert.ok(
        elapsed < CUT_GRACE_MS + SLACK_MS,
        `the gateway closed the socket ${Math.round(elapsed)} ms after the cut`,
      );
      // The client learns it as soon as it reads again: the connection was reset, nothing more comes.
      await readToClose(client);
      assert.ok(client.destroyed);
    },
  );

  test(
    "a reading client of a flooding stream still gets the user_revoked error event and a clean end",
    TIMEOUT,
    async () => {
      const user = await env.user({ openai: USER_KEY });
      floodNextStream(env, () => false);
      const response = await fetch(`${env.gateway.url}/v1/chat/completions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${user.token}`,
          "content-type": "application/json",
          ...user.headers,
        },
        body: JSON.stringify(streamBody),
      });
      assert.equal(response.status, 200);
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let text = "";
      let revoked: Promise<number> | null = null;
      for (;;) {
        const { done, value } = await reader.read(); // rejects if the connection was reset
        if (done) break;
        text += decoder.decode(value, { stream: true });
        // Revoked mid-flood, while the client keeps reading at full speed.
        if (revoked === null && text.length > 1024 * 1024) revoked = revoke(env.gateway, user);
      }
      assert.ok(revoked !== null);
      await revoked;
      const events = text.split("\n\n").filter((event) => event.startsWith("data: "));
      const last = JSON.parse(events.at(-1)!.slice("data: ".length)) as {
        error?: { type?: string; code?: string };
      };
      assert.deepEqual(
        { type: last.error?.type, code: last.error?.code },
        { type: "invalid_credentials", code: "user_revoked" },
      );
    },
  );

  test(
    "a stalled client's pending whole call: its 401 user_revoked answer is written whole",
    TIMEOUT,
    async () => {
      const user = await env.user({ openai: USER_KEY });
      const answering = Promise.withResolvers<void>();
      env.fakes.openai.respondNext(() => answering.resolve()); // never answers
      const { client } = await connectRaw(env.gateway);
      writeRequest(
        client,
        "/v1/chat/completions",
        { authorization: `Bearer ${user.token}`, connection: "close", ...user.headers },
        { model: "summary", messages: [{ role: "user", content: "hang" }] },
      );
      await answering.promise;
      await revoke(env.gateway, user);
      const answer = (await readToClose(client)).toString("utf8");
      assert.match(answer, /^HTTP\/1\.1 401 /);
      assert.match(answer, /"code":"user_revoked"/);
    },
  );
});

/** Writes a live `/v1/listen` upgrade request for the user on a raw socket. */
function writeUpgrade(socket: Socket, user: ListenUser): void {
  const query = new URLSearchParams({ model: "transcription", encoding: "linear16", sample_rate: "16000" });
  const lines = [
    `GET /v1/listen?${query} HTTP/1.1`,
    "host: 127.0.0.1",
    "upgrade: websocket",
    "connection: Upgrade",
    `sec-websocket-key: ${randomBytes(16).toString("base64")}`,
    "sec-websocket-version: 13",
    `authorization: Token ${user.token}`,
    ...Object.entries(user.headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.write(`${lines.join("\r\n")}\r\n\r\n`);
}

/** Reads a paused socket up to the end of the upgrade's answer, then pauses it again; the bytes read so far. */
async function readUpgradeAnswer(socket: Socket): Promise<Buffer[]> {
  const received: Buffer[] = [];
  const upgraded = Promise.withResolvers<void>();
  const onData = (chunk: Buffer) => {
    received.push(chunk);
    if (Buffer.concat(received).includes("\r\n\r\n")) upgraded.resolve();
  };
  socket.on("data", onData);
  socket.resume();
  await upgraded.promise;
  socket.off("data", onData);
  socket.pause();
  return received;
}

describe("a cut closes a live session whose client stopped reading", () => {
  test(
    "revoking the user: the 4001 close frame is sent, and the socket is closed within the grace although never answered",
    TIMEOUT,
    async () => {
      const env = await startListenGateway();
      try {
        const user = await env.user({ deepgram: DEEPGRAM_KEY });
        const { client, server } = await connectRaw(env.gateway);
        const opened = nextConnection(env);
        writeUpgrade(client, user);
        // Read the 101 answer, then read nothing more: the close frame is never answered.
        const received = await readUpgradeAnswer(client);
        assert.match(Buffer.concat(received).toString("latin1"), /^HTTP\/1\.1 101 /);
        const provider = await opened;
        const serverClosed = closedAt(server);
        const revokedAt = await revoke(env.gateway, user);
        const elapsed = (await serverClosed) - revokedAt;
        assert.ok(
          elapsed < CUT_GRACE_MS + SLACK_MS,
          `the gateway closed the socket ${Math.round(elapsed)} ms after the cut`,
        );
        await provider.closed; // the provider's side is closed as before
        const bytes = await readToClose(client, received);
        assert.ok(
          bytes.includes("user_revoked: "),
          "the 4001 close frame was sent before the socket was closed",
        );
      } finally {
        await env.close();
      }
    },
  );

  test(
    "revoking the user while the session opens: the refused socket is closed within the grace although its close frame is never answered",
    TIMEOUT,
    async () => {
      // Deepgram's stand-in takes the connection and never answers the upgrade: the session stays opening.
      const hanging = createServer();
      const held: Socket[] = [];
      const upstreamConnected = Promise.withResolvers<void>();
      hanging.on("connection", (socket) => {
        held.push(socket);
        upstreamConnected.resolve();
      });
      hanging.listen(0, "127.0.0.1");
      await once(hanging, "listening");
      const { port } = hanging.address() as AddressInfo;
      const env = await startListenGateway({
        config: { providers: { deepgram: { liveBaseUrl: `ws://127.0.0.1:${port}` } } },
      });
      try {
        const user = await env.user({ deepgram: DEEPGRAM_KEY });
        const { client, server } = await connectRaw(env.gateway);
        writeUpgrade(client, user); // and read nothing at all
        await upstreamConnected.promise;
        const serverClosed = closedAt(server);
        const revokedAt = await revoke(env.gateway, user);
        const elapsed = (await serverClosed) - revokedAt;
        assert.ok(
          elapsed < CUT_GRACE_MS + SLACK_MS,
          `the gateway closed the socket ${Math.round(elapsed)} ms after the cut`,
        );
        const bytes = (await readToClose(client)).toString("latin1");
        assert.match(bytes, /^HTTP\/1\.1 101 /);
        // A refusal names the error type (invalid_credentials); its message names the revocation.
        assert.ok(
          bytes.includes("The user was revoked"),
          "the 4001 close frame was sent before the socket closed",
        );
      } finally {
        await env.close();
        for (const socket of held) socket.destroy();
        hanging.close();
      }
    },
  );
});
