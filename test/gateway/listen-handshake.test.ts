/**
 * @module test/gateway/listen-handshake.test
 * The live upgrade's hygiene (issue 19): what `ws` would refuse is an HTTP answer before authentication and
 * before any provider socket; the query limit is a close code a browser can read; `callback`-family
 * parameters in any case; tickets bound to their model and user, one per upgrade; a gateway-wide cap on
 * live sessions, visible in `/metrics`.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { WebSocket } from "ws";
import { call } from "../support/gateway-client.ts";
import {
  type ListenGateway,
  type ListenUser,
  nextConnection,
  openLive,
  type RawLive,
  startListenGateway,
} from "../support/listen-gateway.ts";

const USER_KEY = "dg-user-key-handshake-0123456789ab";
const PCM_QUERY = { model: "transcription", encoding: "linear16", sample_rate: "16000" } as const;
const TIMEOUT = { timeout: 30_000 };

const userHeaders = (user: ListenUser) => ({ authorization: `Token ${user.token}`, ...user.headers });

/** Sends a raw upgrade request and returns the whole answer (the socket is closed after it). */
async function rawUpgrade(env: ListenGateway, headers: Record<string, string>): Promise<string> {
  const { port } = new URL(env.gateway.url);
  const socket = net.connect(Number(port), "127.0.0.1");
  const lines = Object.entries({
    host: "x",
    connection: "Upgrade",
    upgrade: "websocket",
    "sec-websocket-version": "13",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    ...headers,
  }).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.write(`GET /v1/listen?model=transcription HTTP/1.1\r\n${lines.join("")}\r\n`);
  const chunks: Buffer[] = [];
  const head = Promise.withResolvers<void>();
  socket.on("data", (chunk: Buffer) => {
    chunks.push(chunk);
    // An accepted upgrade stays open: its head is the answer.
    if (/^HTTP\/1\.1 101 [\s\S]*\r\n\r\n/.test(Buffer.concat(chunks).toString("latin1"))) head.resolve();
  });
  await Promise.race([once(socket, "close"), head.promise]);
  socket.destroy();
  return Buffer.concat(chunks).toString("latin1");
}

async function issue(env: ListenGateway, user: ListenUser, model = "transcription"): Promise<string> {
  const issued = await call(env.gateway, "POST", `/v1/listen/tickets?model=${model}`, {
    token: user.token,
    headers: user.headers,
  });
  assert.equal(issued.status, 201, issued.text);
  return (issued.body as { ticket: string }).ticket;
}

describe("the live upgrade's handshake", () => {
  let env: ListenGateway;
  before(async () => {
    env = await startListenGateway({ config: { speechToText: { liveMaxSessions: 2 } } });
  });
  after(() => env.close());

  test(
    "what ws would refuse is answered over HTTP before authentication and any provider socket",
    TIMEOUT,
    async () => {
      const user = await env.user({ deepgram: USER_KEY });
      const before = env.fake.live.length;
      const auth = { authorization: `Token ${user.token}`, "x-byok-deepgram": USER_KEY };
      const cases: Array<[Record<string, string>, RegExp]> = [
        [{ ...auth, "sec-websocket-protocol": "a,,b" }, /^HTTP\/1\.1 400 /],
        [{ ...auth, "sec-websocket-protocol": "token, token" }, /^HTTP\/1\.1 400 /],
        [
          { ...auth, "sec-websocket-version": "8" },
          /^HTTP\/1\.1 426 [\s\S]*\r\nsec-websocket-version: 13\r\n/i,
        ],
        [{ ...auth, "sec-websocket-key": "short" }, /^HTTP\/1\.1 400 /],
        // No credentials at all: the handshake's fault is answered first, not authentication's.
        [{ "sec-websocket-version": "8" }, /^HTTP\/1\.1 426 /],
        [{ authorization: "Token not-a-token", "sec-websocket-protocol": "a,,b" }, /^HTTP\/1\.1 400 /],
      ];
      for (const [headers, expected] of cases) {
        const answer = await rawUpgrade(env, headers);
        assert.match(answer, expected, JSON.stringify(headers));
      }
      assert.equal(env.fake.live.length, before, "no provider session was opened");
      // A well-formed list is accepted as before.
      const fine = await rawUpgrade(env, { ...auth, "sec-websocket-protocol": "token, other" });
      assert.match(fine, /^HTTP\/1\.1 101 /);
    },
  );

  test("a query over the limit closes the accepted socket with 4000", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY });
    const before = env.fake.live.length;
    const live = await openLive(
      env.liveUrl,
      { ...PCM_QUERY, keywords: "k".repeat(10 * 1024) },
      userHeaders(user),
    );
    const closed = await live.closed;
    assert.equal(closed.code, 4000, closed.reason);
    assert.match(closed.reason, /^invalid_request: The query string is longer than/);
    assert.equal(env.fake.live.length, before);
  });

  test("callback-family parameters are refused on the operator's key in any case", TIMEOUT, async () => {
    const user = await env.user({});
    const extras: Array<Record<string, string>> = [
      { Callback: "https://x.example" },
      { callback_method: "put" },
      { CALLBACK: "x" },
    ];
    for (const extra of extras) {
      const live = await openLive(env.liveUrl, { ...PCM_QUERY, ...extra }, userHeaders(user));
      const closed = await live.closed;
      assert.equal(closed.code, 4000, JSON.stringify(extra));
      assert.match(closed.reason, /^invalid_request: `callback` is available only on your own Deepgram key/);
    }
  });

  test("a gateway-wide cap on live sessions, in /metrics", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY });
    const open: RawLive[] = [];
    for (let i = 0; i < 2; i += 1) {
      const opened = nextConnection(env);
      open.push(await openLive(env.liveUrl, PCM_QUERY, userHeaders(user)));
      await opened;
    }
    const metrics = await call(env.gateway, "GET", "/metrics", {});
    assert.match(metrics.text, /^byok_live_sessions 2$/m);
    assert.match(metrics.text, /^byok_live_sessions_limit 2$/m);
    const before = env.fake.live.length;
    const third = await openLive(env.liveUrl, PCM_QUERY, userHeaders(user));
    const closed = await third.closed;
    assert.equal(closed.code, 1013, closed.reason);
    assert.match(closed.reason, /^service_unavailable: The gateway holds as many live sessions/);
    assert.equal(env.fake.live.length, before, "no provider session beyond the cap");
    for (const live of open) live.ws.close(1000);
    await Promise.all(open.map((live) => live.closed));
  });
});

describe("listen tickets at the upgrade", () => {
  let env: ListenGateway;
  before(async () => {
    env = await startListenGateway();
  });
  after(() => env.close());

  test("a ticket opens only the model it was issued for", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY });
    const ticket = await issue(env, user, "transcription");
    const before = env.fake.live.length;
    const live = await openLive(env.liveUrl, { ...PCM_QUERY, model: "meeting_notes", ticket }, {});
    const closed = await live.closed;
    assert.equal(closed.code, 4001, closed.reason);
    assert.match(closed.reason, /^invalid_credentials: The listen ticket was issued for another model/);
    assert.equal(env.fake.live.length, before);
    const missing = await call(env.gateway, "POST", "/v1/listen/tickets", {
      token: user.token,
      headers: user.headers,
    });
    assert.equal(missing.status, 400, missing.text);
  });

  test("a ticket with another user's token is refused (4001); a mismatched key (4003)", TIMEOUT, async () => {
    const owner = await env.user({ deepgram: USER_KEY });
    const other = await env.user({ deepgram: "dg-other-user-key-000000000000000" });
    const before = env.fake.live.length;
    const withToken = await openLive(
      env.liveUrl,
      { ...PCM_QUERY, ticket: await issue(env, owner) },
      { authorization: `Token ${other.token}` },
    );
    const tokenClosed = await withToken.closed;
    assert.equal(tokenClosed.code, 4001, tokenClosed.reason);
    assert.match(tokenClosed.reason, /issued to another user/);
    const withKey = await openLive(
      env.liveUrl,
      { ...PCM_QUERY, ticket: await issue(env, owner) },
      { "x-byok-deepgram": "dg-other-user-key-000000000000000" },
    );
    const keyClosed = await withKey.closed;
    assert.equal(keyClosed.code, 4003, keyClosed.reason);
    assert.match(keyClosed.reason, /^byok_key_mismatch: /);
    assert.equal(env.fake.live.length, before, "no provider session for a contradicted ticket");
  });

  test("two tickets in one upgrade are refused (4000) and both used up", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY });
    const a = await issue(env, user);
    const b = await issue(env, user);
    const target = `${env.liveUrl}?model=transcription&encoding=linear16&sample_rate=16000&ticket=${a}&ticket=${b}`;
    const ws = new WebSocket(target);
    const [code, reason] = (await once(ws, "close")) as [number, Buffer];
    assert.equal(code, 4000, reason.toString());
    assert.match(reason.toString(), /^invalid_request: One listen ticket per session/);
    for (const ticket of [a, b]) {
      const again = await openLive(env.liveUrl, { ...PCM_QUERY, ticket }, {});
      assert.equal((await again.closed).code, 4001, "used up");
    }
  });
});
