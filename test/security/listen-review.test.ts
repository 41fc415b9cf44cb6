/**
 * @module test/security/listen-review
 * The speech-to-text review's findings, each on the real gateway over loopback with real clients: a listen
 * ticket issued before its user's enrollment changed opens no session on the replaced key; a client text
 * frame that only mentions "CloseStream" cannot keep the gateway from finishing the session upstream (and
 * so from learning the provider's duration, which is what meters compressed audio).
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { WebSocketServer } from "ws";
import { call, enroll } from "../support/gateway-client.ts";
import {
  type ListenGateway,
  type ListenUser,
  nextConnection,
  openLive,
  startListenGateway,
  USER_OPENAI_KEY,
} from "../support/listen-gateway.ts";
import { chunks, pcm16Sine } from "../support/test-audio.ts";

const TIMEOUT = { timeout: 30_000 };
const PCM_QUERY = { model: "transcription", encoding: "linear16", sample_rate: "16000" } as const;
const OLD_KEY = "dg-user-key-review-old-0123456789abcdef";
const NEW_KEY = "dg-user-key-review-new-0123456789abcdef";

interface Served {
  readonly outcome: string;
  readonly audioSeconds: number;
  readonly estimated: boolean;
}

const userHeaders = (user: ListenUser) => ({ authorization: `Token ${user.token}`, ...user.headers });

async function servedOf(env: ListenGateway, user: ListenUser): Promise<Served> {
  const line = await env.gateway.waitForLog(`"served":{"userId":"${user.id}"`);
  return (JSON.parse(line) as { served: Served }).served;
}

/** Opens the live socket with `ticket` and asks to finish at once: a refusal closes 4xxx, a session opened upstream 1000. */
async function openWithTicket(env: ListenGateway, ticket: string) {
  const before = env.fake.live.length;
  const live = await openLive(env.liveUrl, { ...PCM_QUERY, ticket }, {});
  if (live.ws.readyState === live.ws.OPEN) live.ws.send(JSON.stringify({ type: "CloseStream" }));
  const closed = await live.closed;
  return { ...closed, upstreamOpened: env.fake.live.length - before };
}

async function ticketFor(env: ListenGateway, user: ListenUser): Promise<string> {
  const issued = await call(env.gateway, "POST", "/v1/listen/tickets?model=transcription", {
    token: user.token,
    headers: user.headers,
  });
  assert.equal(issued.status, 201, issued.text);
  return (issued.body as { ticket: string }).ticket;
}

describe("listen tickets and enrollment changes", () => {
  let env: ListenGateway;
  before(async () => {
    env = await startListenGateway();
  });
  after(() => env.close());

  test(
    "a ticket issued before the user's Deepgram key was replaced opens no session on the old key",
    TIMEOUT,
    async () => {
      const user = await env.user({ deepgram: OLD_KEY });
      const ticket = await ticketFor(env, user);
      const replaced = await enroll(env.gateway, user.token, { openai: USER_OPENAI_KEY, deepgram: NEW_KEY });
      assert.equal(replaced.status, 200, replaced.text);
      const closed = await openWithTicket(env, ticket);
      assert.equal(closed.upstreamOpened, 0, "no upstream session was opened on a key no longer enrolled");
      assert.equal(closed.code, 4003);
      assert.match(closed.reason, /^enrollment_changed: The enrollment changed/);
    },
  );

  test(
    "a ticket issued before the user deleted their enrollment opens no session on the deleted key",
    TIMEOUT,
    async () => {
      const user = await env.user({ deepgram: OLD_KEY });
      const ticket = await ticketFor(env, user);
      const deleted = await call(env.gateway, "DELETE", "/v1/byok/enrollment", { token: user.token });
      assert.equal(deleted.status, 200, deleted.text);
      const closed = await openWithTicket(env, ticket);
      assert.equal(closed.upstreamOpened, 0, "no upstream session was opened on a key no longer enrolled");
      assert.equal(closed.code, 4003);
      assert.match(closed.reason, /^enrollment_changed: The enrollment changed/);
    },
  );

  test("a ticket whose keys are still enrolled keeps working after a heartbeat", TIMEOUT, async () => {
    const user = await env.user({ deepgram: OLD_KEY });
    const ticket = await ticketFor(env, user);
    const beat = await call(env.gateway, "POST", "/v1/byok/heartbeat", { token: user.token });
    assert.equal(beat.status, 200, beat.text);
    const opened = nextConnection(env);
    const live = await openLive(env.liveUrl, { ...PCM_QUERY, ticket }, {});
    const connection = await opened;
    assert.equal(connection.headers.authorization, `Token ${OLD_KEY}`);
    live.ws.send(JSON.stringify({ type: "CloseStream" }));
    assert.equal((await live.closed).code, 1000);
  });
});

describe("a control message that only mentions CloseStream", () => {
  /** A Deepgram that reports its duration only in the Metadata answering CloseStream (as for opus audio). */
  const REPORTED_SECONDS = 60;
  let peer: WebSocketServer;
  const controls: string[][] = [];
  let env: ListenGateway;
  before(async () => {
    peer = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await once(peer, "listening");
    peer.on("connection", (socket) => {
      const seen: string[] = [];
      controls.push(seen);
      socket.on("message", (data, isBinary) => {
        if (isBinary) return;
        // A strict reader: only the canonical message closes the stream; another spelling that a lenient
        // JSON parser would read as CloseStream (a second `type`) is recorded apart and closes nothing.
        const text = String(data);
        const parsed = (JSON.parse(text) as { type: string }).type;
        const type =
          parsed === "CloseStream" && text !== '{"type":"CloseStream"}' ? "CloseStream-variant" : parsed;
        seen.push(type);
        if (type === "CloseStream") {
          socket.send(JSON.stringify({ type: "Metadata", request_id: "r", duration: REPORTED_SECONDS }));
          socket.close(1000, "");
        }
      });
    });
    const port = (peer.address() as AddressInfo).port;
    env = await startListenGateway({
      config: {
        providers: { deepgram: { liveBaseUrl: `ws://127.0.0.1:${port}` } },
        speechToText: { liveFinishTimeoutMs: 300 },
      },
    });
  });
  after(async () => {
    await env.close();
    for (const client of peer.clients) client.terminate();
    peer.close();
  });

  test(
    "still has the session finished upstream and metered at the provider's duration",
    TIMEOUT,
    async () => {
      const user = await env.user({});
      const query = { model: "transcription", encoding: "opus" };
      const live = await openLive(env.liveUrl, query, userHeaders(user));
      const served = servedOf(env, user);
      for (const frame of chunks(pcm16Sine({ seconds: 0.5 }), 640)) live.ws.send(frame);
      // A KeepAlive whose text holds "CloseStream": Deepgram reads a KeepAlive, not the end of the stream.
      live.ws.send(JSON.stringify({ type: "KeepAlive", note: "CloseStream" }));
      live.ws.close(1000, "done");
      const record = await served;
      assert.deepEqual(controls.at(-1), ["KeepAlive", "CloseStream"], "the gateway sent CloseStream");
      assert.equal(record.estimated, false, "the provider's Metadata came");
      assert.equal(record.audioSeconds, REPORTED_SECONDS);
    },
  );

  test(
    "a CloseStream spelled another way (a second `type`) still leaves the gateway to send its own",
    TIMEOUT,
    async () => {
      const user = await env.user({});
      const query = { model: "transcription", encoding: "opus" };
      const live = await openLive(env.liveUrl, query, userHeaders(user));
      const served = servedOf(env, user);
      for (const frame of chunks(pcm16Sine({ seconds: 0.5 }), 640)) live.ws.send(frame);
      live.ws.send('{"type":"KeepAlive","type":"CloseStream"}');
      live.ws.close(1000, "done");
      const record = await served;
      assert.deepEqual(
        controls.at(-1),
        ["CloseStream-variant", "CloseStream"],
        "the gateway sent CloseStream",
      );
      assert.equal(record.estimated, false, "the provider's Metadata came");
      assert.equal(record.audioSeconds, REPORTED_SECONDS);
    },
  );
});
