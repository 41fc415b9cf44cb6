/**
 * @module test/gateway/listen-live.test
 * The live `/v1/listen` WebSocket through the gateway to the loopback fake Deepgram: the official SDK's
 * session, BYOK and operator keys, close codes both ways, metering and the plan's limit mid-stream,
 * backpressure, a vanished client, and 20 concurrent sessions without cross-talk.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { call } from "../support/gateway-client.ts";
import {
  type ListenGateway,
  type ListenUser,
  nextConnection,
  OPERATOR_DEEPGRAM_KEY,
  openLive,
  startListenGateway,
} from "../support/listen-gateway.ts";
import { chunks, pcm16Sine } from "../support/test-audio.ts";

const USER_KEY = "dg-user-key-live-0123456789abcdef";
const FRAME_BYTES = 640; // 20 ms of 16 kHz linear16 mono
const PCM_QUERY = { model: "transcription", encoding: "linear16", sample_rate: "16000" } as const;
const TIMEOUT = { timeout: 30_000 };

type Json = Record<string, unknown>;

interface UsageView {
  usage: {
    byok: { requests: number; audio_seconds: number; estimated_requests: number };
    operator: { requests: number; audio_seconds: number };
  };
  limits: Array<{ meter: string; used: number; limit: number }>;
}

function near(actual: number, expected: number, what: string, tolerance = 1e-6): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} ≠ ${expected}`);
}

const results = (messages: readonly Json[]) => messages.filter((m) => m.type === "Results");

async function usageOf(env: ListenGateway, token: string): Promise<UsageView> {
  const response = await call(env.gateway, "GET", "/v1/usage", { token });
  assert.equal(response.status, 200, response.text);
  return response.body as UsageView;
}

const userHeaders = (user: ListenUser) => ({ authorization: `Token ${user.token}`, ...user.headers });

describe("GET /v1/listen (live WebSocket)", () => {
  let env: ListenGateway;
  before(async () => {
    env = await startListenGateway({
      config: {
        plans: {
          metered: { limits: [{ meter: "audio_seconds", period: "day", limit: 1 }] },
          generous: { limits: [{ meter: "audio_seconds", period: "day", limit: 1000 }] },
          one_stream: { limits: [], rateLimits: { concurrentStreams: 1 } },
        },
        speechToText: { liveFinishTimeoutMs: 800 },
      },
    });
  });
  after(() => env.close());

  test("the official SDK runs a live session on the user's own key", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY });
    const opened = nextConnection(env);
    const socket = await user.deepgram.listen.v1.connect({
      model: "transcription",
      encoding: "linear16",
      sample_rate: 16000,
      interim_results: "true",
      reconnectAttempts: 0,
    });
    const received: Json[] = [];
    const gotMetadata = Promise.withResolvers<void>();
    const closed = Promise.withResolvers<{ code: number; reason: string }>();
    socket.on("message", (message) => {
      received.push(message as unknown as Json);
      if ((message as { type?: string }).type === "Metadata") gotMetadata.resolve();
    });
    socket.on("close", (event) => closed.resolve({ code: event.code, reason: event.reason }));
    socket.connect();
    await socket.waitForOpen();
    const connection = await opened;
    assert.equal(connection.headers.authorization, `Token ${USER_KEY}`, "the fake sees the user's key");
    assert.equal(connection.auth, "header");
    assert.ok(!connection.path.includes(USER_KEY) && !connection.path.includes(user.token));
    assert.equal(connection.query.model, "nova-3");
    assert.equal(connection.query.smart_format, "true", "the route's params are defaults");
    assert.equal(connection.query.interim_results, "true");
    assert.equal(connection.query.sample_rate, "16000");

    const frames = chunks(pcm16Sine({ seconds: 1 }), FRAME_BYTES);
    for (const frame of frames) socket.sendMedia(frame);
    await connection.until((c) => c.frames === frames.length);
    socket.sendCloseStream({ type: "CloseStream" });
    await gotMetadata.promise;
    assert.deepEqual(await closed.promise, { code: 1000, reason: "" }, "a clean close");
    assert.deepEqual(await connection.closed, { code: 1000, reason: "", by: "server" });
    assert.equal(results(received).length, frames.length, "one Results per frame, relayed");
    assert.deepEqual(received, connection.sent, "every message arrives as the provider sent it, in order");
    assert.deepEqual(connection.controlMessages, ["CloseStream"]);

    await env.gateway.byok.usage.flush();
    const usage = await usageOf(env, user.token);
    assert.equal(usage.usage.byok.requests, 1);
    near(usage.usage.byok.audio_seconds, 1, "audio seconds from the Metadata message");
    assert.equal(usage.usage.byok.estimated_requests, 0);
  });

  test("KeepAlive and Finalize go up as they are; binary audio arrives byte for byte", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY });
    const opened = nextConnection(env);
    const live = await openLive(env.liveUrl, { ...PCM_QUERY, utterance_end_ms: "1000" }, userHeaders(user));
    const connection = await opened;
    const pcm = pcm16Sine({ seconds: 0.1 });
    for (const frame of chunks(pcm, FRAME_BYTES)) live.ws.send(frame);
    live.ws.send(JSON.stringify({ type: "KeepAlive" }));
    live.ws.send(JSON.stringify({ type: "Finalize" }));
    await live.until((messages) => messages.some((m) => m.type === "UtteranceEnd"));
    assert.ok(results(live.messages).some((m) => m.from_finalize === true));
    live.ws.send(JSON.stringify({ type: "CloseStream" }));
    assert.deepEqual(await live.closed, { code: 1000, reason: "" });
    assert.equal(connection.bytes, pcm.length);
    assert.deepEqual(connection.controlMessages, ["KeepAlive", "Finalize", "CloseStream"]);
  });

  test("a user without a Deepgram key is served on the operator's key and metered", TIMEOUT, async () => {
    const user = await env.user({}, "generous");
    const opened = nextConnection(env);
    const live = await openLive(env.liveUrl, PCM_QUERY, userHeaders(user));
    const connection = await opened;
    assert.equal(connection.headers.authorization, `Token ${OPERATOR_DEEPGRAM_KEY}`);
    assert.equal(live.upgradeHeaders["x-byok-route"], "deepgram/nova-3; source=operator");
    assert.match(String(live.upgradeHeaders["x-request-id"]), /^[0-9a-f-]{36}$/);
    assert.equal(live.upgradeHeaders["x-byok-status"], "active; accepted=openai");
    for (const frame of chunks(pcm16Sine({ seconds: 0.5 }), FRAME_BYTES)) live.ws.send(frame);
    live.ws.send(JSON.stringify({ type: "CloseStream" }));
    assert.equal((await live.closed).code, 1000);
    await env.gateway.byok.usage.flush();
    const usage = await usageOf(env, user.token);
    assert.equal(usage.usage.operator.requests, 1);
    near(usage.usage.operator.audio_seconds, 0.5, "operator audio seconds");
    near(usage.limits.find((l) => l.meter === "audio_seconds")?.used ?? -1, 0.5, "the plan's counter");
    const metrics = await (await fetch(`${env.gateway.url}/metrics`)).text();
    assert.match(metrics, /byok_audio_seconds_total\{source="operator",provider="deepgram"\} [0-9.]+/);
    assert.match(
      metrics,
      /byok_requests_total\{operation="stt",feature="transcription",provider="deepgram",source="operator",status="200"\} [1-9]/,
    );
  });

  test(
    "refusals close the accepted socket with the documented codes, before any provider socket",
    TIMEOUT,
    async () => {
      const user = await env.user({ deepgram: USER_KEY });
      const keyless = await env.user({});
      const before = env.fake.live.length;
      const cases: Array<{
        what: string;
        query: Json;
        headers: Record<string, string>;
        code: number;
        reason: RegExp;
      }> = [
        {
          what: "a mismatched key",
          query: PCM_QUERY,
          headers: { ...userHeaders(user), "x-byok-deepgram": "dg-some-other-key" },
          code: 4003,
          reason: /^byok_key_mismatch: .*deepgram/i,
        },
        { what: "no token", query: PCM_QUERY, headers: {}, code: 4001, reason: /^missing_credentials: / },
        {
          what: "a wrong token",
          query: PCM_QUERY,
          headers: { authorization: "Token byok_nope" },
          code: 4001,
          reason: /^invalid_credentials: /,
        },
        {
          what: "no model",
          query: { encoding: "linear16" },
          headers: userHeaders(user),
          code: 4000,
          reason: /^invalid_request: `model` is required/,
        },
        {
          what: "not a feature",
          query: { model: "nova-3" },
          headers: userHeaders(user),
          code: 4004,
          reason: /^model_not_found: /,
        },
        {
          what: "a BYOK-only feature without the key",
          query: { model: "meeting_notes" },
          headers: userHeaders(keyless),
          code: 4003,
          reason: /^byok_required: /,
        },
        {
          what: "an operator-served callback",
          query: { ...PCM_QUERY, callback: "https://x.example" },
          headers: userHeaders(keyless),
          code: 4000,
          reason: /^invalid_request: `callback`/,
        },
      ];
      for (const entry of cases) {
        const live = await openLive(env.liveUrl, entry.query as Record<string, string>, entry.headers);
        const closed = await live.closed;
        assert.equal(closed.code, entry.code, `${entry.what}: ${closed.reason}`);
        assert.match(closed.reason, entry.reason, entry.what);
        assert.ok(Buffer.byteLength(closed.reason) <= 123, "a close reason fits its frame");
      }
      assert.equal(env.fake.live.length, before, "no provider socket was opened for a refused session");
    },
  );

  test(
    "the provider refusing the upgrade: a user's key is 4001 with its message, the operator's 1014",
    TIMEOUT,
    async () => {
      const user = await env.user({ deepgram: USER_KEY });
      env.fake.failNextLive(401, { err_code: "INVALID_AUTH", err_msg: `Invalid credentials: ${USER_KEY}` });
      const refused = await openLive(env.liveUrl, PCM_QUERY, userHeaders(user));
      const closed = await refused.closed;
      assert.equal(closed.code, 4001);
      assert.match(closed.reason, /^upstream_rejected: deepgram: Invalid credentials/);
      assert.ok(!closed.reason.includes(USER_KEY), "the key is redacted from the provider's message");

      const keyless = await env.user({}, "generous");
      env.fake.failNextLive(401, { err_code: "INVALID_AUTH", err_msg: "Invalid credentials." });
      const operator = await openLive(env.liveUrl, PCM_QUERY, userHeaders(keyless));
      const operatorClosed = await operator.closed;
      assert.equal(operatorClosed.code, 1014, "the operator's own key refused is the gateway's failure");
      assert.match(operatorClosed.reason, /^upstream_error: /);
    },
  );

  test(
    "an operator-served stream is closed with 4002 when the plan's audio seconds run out",
    TIMEOUT,
    async () => {
      const user = await env.user({}, "metered"); // 1 audio second a day
      const opened = nextConnection(env);
      const live = await openLive(env.liveUrl, PCM_QUERY, userHeaders(user));
      const connection = await opened;
      // Two seconds of audio at the pace it is transcribed (as a microphone sends it): the limit is
      // reached halfway.
      const frames = chunks(pcm16Sine({ seconds: 2 }), FRAME_BYTES);
      for (const [i, frame] of frames.entries()) {
        live.ws.send(frame);
        const transcribed = await live
          .until((m) => results(m).length === i + 1)
          .then(
            () => true,
            () => false, // closed
          );
        if (!transcribed) break;
      }
      const closed = await live.closed;
      assert.equal(closed.code, 4002, closed.reason);
      assert.match(closed.reason, /^quota_exceeded: The metered plan's daily audio_seconds limit is reached/);
      const served = env.gateway.waitForLog(`"served":{"userId":"${user.id}"`);
      const providerClosed = await connection.closed;
      // The gateway asked the provider to finish (CloseStream), so its Metadata says what it received.
      assert.equal(providerClosed.by, "server", "the provider ended the stream it was asked to end");
      assert.deepEqual(connection.controlMessages, ["CloseStream"]);
      const relayed = connection.bytes / 32_000;
      assert.ok(relayed > 1 && relayed <= 1.1, `stopped right after the limit (${relayed} s relayed)`);

      await served;
      const usage = await usageOf(env, user.token);
      const counter = usage.limits.find((l) => l.meter === "audio_seconds")!;
      near(counter.used, relayed, "the counter holds what was relayed");

      // At the limit: the next session is refused before opening.
      const before = env.fake.live.length;
      const refused = await openLive(env.liveUrl, PCM_QUERY, userHeaders(user));
      const refusal = await refused.closed;
      assert.equal(refusal.code, 4002);
      assert.match(refusal.reason, /^quota_exceeded: /);
      assert.equal(env.fake.live.length, before);
    },
  );

  test("a BYOK-served stream on the same plan is recorded and never closed for it", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY }, "metered");
    const live = await openLive(env.liveUrl, PCM_QUERY, userHeaders(user));
    const frames = chunks(pcm16Sine({ seconds: 3 }), FRAME_BYTES);
    for (const frame of frames) live.ws.send(frame);
    await live.until((messages) => results(messages).length === frames.length);
    live.ws.send(JSON.stringify({ type: "CloseStream" }));
    assert.equal((await live.closed).code, 1000);
    await env.gateway.byok.usage.flush();
    const usage = await usageOf(env, user.token);
    near(usage.usage.byok.audio_seconds, 3, "BYOK audio recorded past the plan's limit");
    assert.equal(
      usage.limits.find((l) => l.meter === "audio_seconds")?.used,
      0,
      "nothing counted against the plan",
    );
  });

  test("the provider closing mid-stream closes the client with its code and reason", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY });
    const opened = nextConnection(env);
    const live = await openLive(env.liveUrl, PCM_QUERY, userHeaders(user));
    const connection = await opened;
    live.ws.send(pcm16Sine({ seconds: 0.02 }));
    await live.until((messages) => results(messages).length === 1);
    connection.close(1011, `NET-0001: upstream trouble for ${USER_KEY}`);
    const closed = await live.closed;
    assert.equal(closed.code, 1011);
    assert.match(closed.reason, /^NET-0001: upstream trouble/);
    assert.ok(!closed.reason.includes(USER_KEY), "a key in the provider's reason is redacted");

    const second = nextConnection(env);
    const dropped = await openLive(env.liveUrl, PCM_QUERY, userHeaders(user));
    (await second).terminate(); // no close frame: the client hears 1014, not a bare 1006
    const droppedClose = await dropped.closed;
    assert.equal(droppedClose.code, 1014);
    assert.match(droppedClose.reason, /^upstream_error: deepgram: the live connection dropped/);
  });

  test(
    "a client that vanishes has its session finished and closed upstream within a second",
    TIMEOUT,
    async () => {
      const user = await env.user({}, "generous");
      const opened = nextConnection(env);
      const live = await openLive(env.liveUrl, PCM_QUERY, userHeaders(user));
      const connection = await opened;
      live.ws.send(pcm16Sine({ seconds: 0.5 }));
      await live.until((messages) => results(messages).length === 1);
      const served = env.gateway.waitForLog(`"served":{"userId":"${user.id}"`);
      const vanished = performance.now();
      live.ws.terminate(); // the TCP connection drops without a close frame
      const providerClosed = await connection.closed;
      const elapsed = performance.now() - vanished;
      assert.ok(elapsed < 1000, `closed upstream after ${Math.round(elapsed)} ms`);
      // The gateway asked the provider to finish, so the session's exact duration is known.
      assert.deepEqual(connection.controlMessages, ["CloseStream"]);
      assert.equal(providerClosed.by, "server", "the provider ended the stream it was asked to end");
      const line = JSON.parse(await served) as {
        served: { outcome: string; audioSeconds: number; estimated: boolean };
      };
      assert.equal(line.served.outcome, "client_gone");
      assert.equal(line.served.audioSeconds, 0.5);
      assert.equal(line.served.estimated, false, "metered from the provider's Metadata");

      // A provider that does not finish in time is cut off anyway.
      const stuck = nextConnection(env);
      const second = await openLive(env.liveUrl, PCM_QUERY, userHeaders(user));
      const stuckConnection = await stuck;
      second.ws.send(pcm16Sine({ seconds: 0.1 }));
      await second.until((messages) => results(messages).length === 1);
      stuckConnection.pause(); // it reads nothing more, CloseStream included
      const cut = env.gateway.waitForLog('"outcome":"client_gone","usage":null,"estimated":true');
      const started = performance.now();
      second.ws.terminate();
      await cut;
      assert.ok(performance.now() - started < 1000, "cut within a second");
      stuckConnection.resume();
      assert.equal((await stuckConnection.closed).code, 1000);

      const closing = nextConnection(env);
      const polite = await openLive(env.liveUrl, PCM_QUERY, userHeaders(user));
      const politeConnection = await closing;
      polite.ws.close(1001, "page closed");
      // A close frame ends the session like a drop: the provider is asked to finish, and ends it.
      assert.deepEqual(await politeConnection.closed, { code: 1000, reason: "", by: "server" });
      assert.deepEqual(politeConnection.controlMessages, ["CloseStream"]);
    },
  );

  test("a client that stops answering pings is dropped and its session finished", TIMEOUT, async () => {
    const pinging = await startListenGateway({ config: { speechToText: { livePingIntervalMs: 100 } } });
    try {
      const user = await pinging.user({ deepgram: USER_KEY });
      const opened = nextConnection(pinging);
      // A client gone without a FIN or RST: its socket stays, but nothing answers pings.
      const silent = await openLive(pinging.liveUrl, PCM_QUERY, userHeaders(user), { autoPong: false });
      const connection = await opened;
      const closed = await silent.closed;
      assert.equal(closed.code, 1006, "the gateway dropped it without a close frame");
      await connection.closed;
      assert.deepEqual(connection.controlMessages, ["CloseStream"], "its session was finished upstream");

      // One that answers is kept: it still works after several pings.
      const answering = await openLive(pinging.liveUrl, PCM_QUERY, userHeaders(user));
      let pings = 0;
      const threePings = new Promise<void>((resolve) =>
        answering.ws.on("ping", () => {
          pings += 1;
          if (pings === 3) resolve();
        }),
      );
      await threePings;
      answering.ws.send(pcm16Sine({ seconds: 0.02 }));
      await answering.until((messages) => results(messages).length === 1);
      answering.ws.send(JSON.stringify({ type: "CloseStream" }));
      assert.equal((await answering.closed).code, 1000);
    } finally {
      await pinging.close();
    }
  });

  test(
    "an oversized client frame closes the client with 1009 and finishes the session",
    TIMEOUT,
    async () => {
      const user = await env.user({ deepgram: USER_KEY });
      const opened = nextConnection(env);
      const live = await openLive(env.liveUrl, PCM_QUERY, userHeaders(user));
      const connection = await opened;
      live.ws.send(Buffer.alloc(5 * 1024 * 1024)); // past liveMaxMessageBytes (4 MiB)
      assert.equal((await live.closed).code, 1009);
      // The gateway stops reading a client that broke the protocol: like one that vanished, its session is
      // finished upstream.
      await connection.closed;
      assert.deepEqual(connection.controlMessages, ["CloseStream"]);
      assert.equal(connection.bytes, 0, "nothing of it reached the provider");
      assert.ok(
        env.gateway.logs.every((line) => !line.includes('"level":50') || !line.includes("live socket")),
        "a client's protocol error is not logged as a gateway error",
      );
    },
  );

  test("a malformed upgrade is refused before any provider socket is opened", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY });
    const before = env.fake.live.length;
    const { port } = new URL(env.gateway.url);
    const socket = net.connect(Number(port), "127.0.0.1");
    socket.write(
      "GET /v1/listen?model=transcription HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
        `Sec-WebSocket-Version: 12\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Token ${user.token}\r\n` +
        `X-BYOK-Deepgram: ${USER_KEY}\r\nX-BYOK-OpenAI: ${user.headers["x-byok-openai"]}\r\n\r\n`,
    );
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    await once(socket, "close");
    const answer = Buffer.concat(chunks).toString("latin1");
    assert.match(answer, /^HTTP\/1\.1 426 /);
    assert.match(answer, /\r\nsec-websocket-version: 13\r\n/i);
    assert.equal(env.fake.live.length, before, "the provider was never asked");
  });

  test("20 concurrent sessions relay without cross-talk", TIMEOUT, async () => {
    const users = await Promise.all(Array.from({ length: 4 }, () => env.user({ deepgram: USER_KEY })));
    const sessions = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        openLive(env.liveUrl, { ...PCM_QUERY, tag: `session-${i}` }, userHeaders(users[i % users.length]!)),
      ),
    );
    const audio = pcm16Sine({ seconds: 1 });
    // Session i sends i + 5 frames, interleaved with the others.
    for (let frame = 0; frame < 25; frame++) {
      sessions.forEach((session, i) => {
        if (frame < i + 5) session.ws.send(audio.subarray(frame * FRAME_BYTES, (frame + 1) * FRAME_BYTES));
      });
    }
    await Promise.all(sessions.map((session, i) => session.until((m) => results(m).length === i + 5)));
    for (const session of sessions) session.ws.send(JSON.stringify({ type: "CloseStream" }));
    await Promise.all(sessions.map((session) => session.closed));
    sessions.forEach((session, i) => {
      const connection = env.fake.live.find((c) => c.query.tag === `session-${i}`);
      assert.ok(connection, `session ${i} reached the provider`);
      assert.equal(connection.frames, i + 5, `session ${i}'s audio went to its own provider socket`);
      const ids = new Set(
        session.messages.map(
          (m) => (m.metadata as { request_id?: string } | undefined)?.request_id ?? m.request_id,
        ),
      );
      assert.deepEqual([...ids], [connection.id], `session ${i} heard only its own provider socket`);
      assert.deepEqual(session.messages, connection.sent, `session ${i} got all of its own, in order`);
      assert.equal(session.messages.at(-1)?.type, "Metadata");
    });
  });

  test(
    "a slow provider pauses the client's reading; a slow client pauses the provider's",
    TIMEOUT,
    async () => {
      const user = await env.user({ deepgram: USER_KEY });
      const opened = nextConnection(env);
      const live = await openLive(env.liveUrl, PCM_QUERY, userHeaders(user));
      const connection = await opened;

      // Upstream: the provider stops reading while the client sends 48 MiB.
      connection.pause();
      const frame = Buffer.alloc(256 * 1024, 7);
      const total = 192 * frame.length;
      const paused = env.gateway.waitForLog('"slow":"provider"');
      for (let i = 0; i < 192; i++) live.ws.send(frame);
      const pausedLine = JSON.parse(await paused) as { queuedBytes: number };
      // The gateway queued at most its bound (1 MiB) and one frame before it stopped reading the client.
      assert.ok(pausedLine.queuedBytes <= 1024 * 1024 + frame.length, `${pausedLine.queuedBytes} queued`);
      // Beyond that and the sockets' kernel buffers (their size is the host's), the rest waits in the client.
      assert.ok(live.ws.bufferedAmount > 0, "the client still holds what the gateway did not take");
      assert.ok(connection.bytes < total);
      connection.resume();
      await connection.until((c) => c.bytes === total);

      // Downstream: the client stops reading while the provider sends 48 MiB of results.
      live.ws.pause();
      const slowClient = env.gateway.waitForLog('"slow":"client"');
      const big = { type: "Results", padding: "x".repeat(256 * 1024) };
      for (let i = 0; i < 192; i++) connection.send(big);
      const slowClientLine = JSON.parse(await slowClient) as { queuedBytes: number };
      assert.ok(
        slowClientLine.queuedBytes <= 1024 * 1024 + 300 * 1024,
        `${slowClientLine.queuedBytes} queued`,
      );
      live.ws.resume();
      await live.until((messages) => messages.filter((m) => m.padding !== undefined).length === 192);
      live.ws.send(JSON.stringify({ type: "CloseStream" }));
      assert.equal((await live.closed).code, 1000);
    },
  );

  test("concurrent live sessions beyond the plan's limit are refused with 4029", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY }, "one_stream");
    const first = await openLive(env.liveUrl, PCM_QUERY, userHeaders(user));
    const second = await openLive(env.liveUrl, PCM_QUERY, userHeaders(user));
    const refused = await second.closed;
    assert.equal(refused.code, 4029);
    assert.match(refused.reason, /^rate_limited: Too many concurrent streams/);
    first.ws.send(JSON.stringify({ type: "CloseStream" }));
    assert.equal((await first.closed).code, 1000);
    await env.gateway.waitForLog(`"served":{"userId":"${user.id}"`);
    // The slot is free again once the first session ended and was reported.
    const third = await openLive(env.liveUrl, PCM_QUERY, userHeaders(user));
    third.ws.send(JSON.stringify({ type: "CloseStream" }));
    assert.equal((await third.closed).code, 1000);
  });
});
