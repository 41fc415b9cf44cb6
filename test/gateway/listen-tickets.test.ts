/**
 * @module test/gateway/listen-tickets.test
 * Listen tickets (the browser's way onto the live socket), a canary Deepgram key through every
 * speech-to-text path (never in logs, errors, close reasons or metrics), and live sessions at shutdown.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import net, { type AddressInfo, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { DeepgramClient } from "@deepgram/sdk";
import { WebSocket } from "ws";
import { call } from "../support/gateway-client.ts";
import {
  type ListenGateway,
  nextConnection,
  openLive,
  startListenGateway,
} from "../support/listen-gateway.ts";
import { ADMIN_TOKEN } from "../support/start-gateway.ts";
import { chunks, pcm16Sine, wav } from "../support/test-audio.ts";

const USER_KEY = "dg-user-key-tickets-0123456789abcdef";
const CANARY = "dg-CANARY-5e1f3a7c9b2d4f6a8c0e1b3d5f7a9c1e";
const OPERATOR_CANARY = "dg-OPERATOR-CANARY-9d8c7b6a5f4e3d2c1b0a";
const PCM_QUERY = { model: "transcription", encoding: "linear16", sample_rate: "16000" } as const;
const TIMEOUT = { timeout: 30_000 };

type Json = Record<string, unknown>;

interface Ticket {
  ticket: string;
  expires_at: string;
  expires_in: number;
}

async function issue(env: ListenGateway, token: string, headers: Record<string, string>) {
  return call(env.gateway, "POST", "/v1/listen/tickets?model=transcription", { token, headers });
}

describe("listen tickets", () => {
  let env: ListenGateway;
  before(async () => {
    env = await startListenGateway();
  });
  after(() => env.close());

  test("a ticket opens one live session on the keys validated when it was issued", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY });
    const issued = await issue(env, user.token, user.headers);
    assert.equal(issued.status, 201, issued.text);
    assert.equal(issued.headers.get("cache-control"), "no-store");
    const { ticket, expires_in, expires_at } = issued.body as Ticket;
    assert.match(ticket, /^lt_[A-Za-z0-9_-]{43}$/);
    assert.equal(expires_in, 30);
    assert.equal(Date.parse(expires_at), env.gateway.clock.now() + 30_000);

    // No headers at all, as a browser opens it.
    const opened = nextConnection(env);
    const live = await openLive(env.liveUrl, { ...PCM_QUERY, ticket }, {});
    const connection = await opened;
    assert.equal(
      connection.headers.authorization,
      `Token ${USER_KEY}`,
      "the user's own key, from the ticket",
    );
    assert.equal(connection.query.ticket, undefined, "the ticket is the gateway's, never passed on");
    assert.ok(!connection.path.includes(ticket));
    for (const frame of chunks(pcm16Sine({ seconds: 0.1 }), 640)) live.ws.send(frame);
    live.ws.send(JSON.stringify({ type: "CloseStream" }));
    assert.equal((await live.closed).code, 1000);
    assert.ok(live.messages.some((m: Json) => m.type === "Metadata"));

    // Single use.
    const again = await openLive(env.liveUrl, { ...PCM_QUERY, ticket }, {});
    const refused = await again.closed;
    assert.equal(refused.code, 4001);
    assert.match(
      refused.reason,
      /^invalid_credentials: The listen ticket is unknown, already used or expired/,
    );

    assert.ok(
      env.gateway.logs.every((line) => !line.includes(ticket)),
      "the ticket never appears in a log line",
    );
  });

  test("the official SDK opens a session with a ticket in queryParams", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY });
    const { ticket } = (await issue(env, user.token, user.headers)).body as Ticket;
    // A browser app holds no gateway token in the socket: the ticket is the credential.
    const client = new DeepgramClient({ apiKey: "unused", baseUrl: env.gateway.url });
    const opened = nextConnection(env);
    const socket = await client.listen.v1.connect({
      model: "transcription",
      encoding: "linear16",
      sample_rate: 16000,
      queryParams: { ticket },
      reconnectAttempts: 0,
    });
    const closed = Promise.withResolvers<number>();
    socket.on("close", (event) => closed.resolve(event.code));
    socket.connect();
    await socket.waitForOpen();
    assert.equal((await opened).headers.authorization, `Token ${USER_KEY}`);
    socket.sendCloseStream({ type: "CloseStream" });
    assert.equal(await closed.promise, 1000);
    assert.ok(env.gateway.logs.every((line) => !line.includes(ticket)));
  });

  test("a ticket expires; unknown and malformed tickets are refused with 4001", TIMEOUT, async () => {
    const user = await env.user({});
    const { ticket } = (await issue(env, user.token, {})).body as Ticket;
    env.gateway.clock.advance(30_000);
    for (const presented of [ticket, "lt_unknown", "not-a-ticket", "x".repeat(500)]) {
      const live = await openLive(env.liveUrl, { ...PCM_QUERY, ticket: presented }, {});
      const closed = await live.closed;
      assert.equal(closed.code, 4001, presented.slice(0, 20));
      assert.match(closed.reason, /^invalid_credentials: /);
    }
  });

  test("a ticket of a user revoked after it was issued is refused with 4001", TIMEOUT, async () => {
    const user = await env.user({});
    const { ticket } = (await issue(env, user.token, {})).body as Ticket;
    const opened = env.fake.live.length;
    const revoked = await call(env.gateway, "DELETE", `/admin/users/${user.id}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(revoked.status, 200);
    const live = await openLive(env.liveUrl, { ...PCM_QUERY, ticket }, {});
    const closed = await live.closed;
    assert.equal(closed.code, 4001);
    assert.match(closed.reason, /revoked/);
    assert.equal(env.fake.live.length, opened, "no upstream session was opened");
  });

  test("an upgrade to any other route is a 404 that never logs its URL", TIMEOUT, async () => {
    const user = await env.user({});
    const { ticket } = (await issue(env, user.token, {})).body as Ticket;
    for (const path of ["/v1/chat/completions", "/v1/models", "/nowhere"]) {
      const refused = await openLive(`${env.liveUrl.replace("/v1/listen", "")}${path}`, { ticket }, {}).then(
        () => "opened",
        (error: Error) => error.message,
      );
      assert.equal(refused, "unexpected response 404", path);
    }
    assert.ok(env.gateway.logs.every((line) => !line.includes(ticket)));
  });

  test("keys are validated when a ticket is issued", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY });
    const mismatched = await issue(env, user.token, { ...user.headers, "x-byok-deepgram": "dg-wrong" });
    assert.equal(mismatched.status, 403, mismatched.text);
    assert.equal((mismatched.body as { error: { type: string } }).error.type, "byok_key_mismatch");
    const anonymous = await call(env.gateway, "POST", "/v1/listen/tickets", {});
    assert.equal(anonymous.status, 401);
  });
});

describe("a canary Deepgram key through speech-to-text", () => {
  test(
    "never reaches logs, error bodies, close reasons, messages or metrics; nor the operator's",
    TIMEOUT,
    async () => {
      const env = await startListenGateway({ operatorKey: OPERATOR_CANARY });
      const seen: string[] = [];
      try {
        const user = await env.user({ deepgram: CANARY });
        const headers = { authorization: `Token ${user.token}`, ...user.headers };
        const listen = async (body: Buffer, extra: Record<string, string> = {}) => {
          const response = await fetch(`${env.gateway.url}/v1/listen?model=transcription`, {
            method: "POST",
            headers: { ...headers, "content-type": "audio/wav", ...extra },
            body,
          });
          seen.push(await response.text(), [...response.headers].join("\n"));
          return response.status;
        };
        const audio = wav(pcm16Sine({ seconds: 0.2 }), 16000);
        assert.equal(await listen(audio), 200);
        env.fake.failNextRest(401, { err_code: "INVALID_AUTH", err_msg: `Invalid credentials: ${CANARY}` });
        assert.equal(await listen(audio), 401);
        env.fake.failNextRest(400, { category: "INVALID", message: `bad key ${CANARY}`, details: CANARY });
        assert.equal(await listen(audio), 400);
        assert.equal(await listen(audio, { "x-byok-deepgram": `${CANARY}x` }), 403);

        const opened = nextConnection(env);
        const live = await openLive(env.liveUrl, PCM_QUERY, headers);
        const connection = await opened;
        live.ws.send(pcm16Sine({ seconds: 0.02 }));
        await live.until((messages) => messages.length > 0);
        connection.close(1008, `DATA-0000 for ${CANARY}`);
        const closed = await live.closed;
        seen.push(closed.reason, JSON.stringify(live.messages));

        env.fake.failNextLive(403, { err_code: "FORBIDDEN", err_msg: `key ${CANARY} lacks access` });
        const refused = await openLive(env.liveUrl, PCM_QUERY, headers);
        seen.push((await refused.closed).reason);
        const mismatch = await openLive(env.liveUrl, PCM_QUERY, {
          ...headers,
          "x-byok-deepgram": `${CANARY}x`,
        });
        seen.push((await mismatch.closed).reason);

        // The operator's key, on operator-served calls: the provider's refusals, close reasons and messages.
        const keyless = await env.user({});
        const operatorHeaders = { authorization: `Token ${keyless.token}`, ...keyless.headers };
        env.fake.failNextRest(400, { err_code: "BAD", err_msg: `bad request for ${OPERATOR_CANARY}` });
        const rejected = await fetch(`${env.gateway.url}/v1/listen?model=transcription`, {
          method: "POST",
          headers: { ...operatorHeaders, "content-type": "audio/wav" },
          body: audio,
        });
        seen.push(await rejected.text());
        env.fake.failNextLive(401, { err_code: "INVALID_AUTH", err_msg: `no such key ${OPERATOR_CANARY}` });
        const operatorRefused = await openLive(env.liveUrl, PCM_QUERY, operatorHeaders);
        seen.push((await operatorRefused.closed).reason);
        const operatorOpened = nextConnection(env);
        const operatorLive = await openLive(env.liveUrl, PCM_QUERY, operatorHeaders);
        const operatorConnection = await operatorOpened;
        operatorConnection.send({ type: "Error", description: `quota for ${OPERATOR_CANARY}` });
        await operatorLive.until((messages) => messages.some((m) => m.type === "Error"));
        assert.match(String(operatorLive.messages.at(-1)?.description), /quota for \[redacted/);
        operatorConnection.close(1011, `trouble with ${OPERATOR_CANARY}`);
        seen.push((await operatorLive.closed).reason, JSON.stringify(operatorLive.messages));
        assert.ok(
          env.fake.live.every(
            (connection) => !connection.path.includes(CANARY) && !connection.path.includes(OPERATOR_CANARY),
          ),
          "never in a live URL",
        );

        const metrics = await fetch(`${env.gateway.url}/metrics`);
        seen.push(await metrics.text());
        await env.gateway.byok.usage.flush();
        assert.ok(seen.join("\n").includes("upstream_rejected"), "the provider's errors were answered");
        for (const text of [...seen, ...env.gateway.logs]) {
          assert.ok(!text.includes(CANARY), `the canary leaked: ${text.slice(0, 300)}`);
          assert.ok(!text.includes(OPERATOR_CANARY), `the operator's canary leaked: ${text.slice(0, 300)}`);
        }
        assert.ok(
          env.fake.rest.every((record) => !record.path.includes(CANARY)),
          "never in a URL",
        );
      } finally {
        await env.close();
      }
    },
  );
});

describe("a provider whose socket is slow to open", () => {
  /** A provider that accepts TCP connections and never answers the upgrade; and a gateway in front of it. */
  async function silentProvider() {
    const held = new Set<Socket>();
    const silent = net.createServer((socket) => {
      held.add(socket);
      socket.resume(); // read (and drop) the upgrade request, so its end is seen
      socket.on("close", () => held.delete(socket));
    });
    silent.listen(0, "127.0.0.1");
    await once(silent, "listening");
    const port = (silent.address() as AddressInfo).port;
    const env = await startListenGateway({
      config: { providers: { deepgram: { liveBaseUrl: `ws://127.0.0.1:${port}` } } },
    });
    const user = await env.user({ deepgram: USER_KEY });
    /** Opens a client socket and resolves once the gateway is connecting to the provider. */
    const open = async () => {
      const connected = once(silent, "connection");
      const client = new WebSocket(`${env.liveUrl}?model=transcription`, {
        headers: { authorization: `Token ${user.token}`, ...user.headers },
      });
      const outcome = new Promise<string>((resolve) => {
        client.on("unexpected-response", (_request, response) => resolve(`HTTP ${response.statusCode}`));
        client.on("close", (code) => resolve(`closed ${code}`));
        client.on("error", () => {});
      });
      const [upstream] = (await connected) as [Socket];
      return { client, upstream, outcome };
    };
    return { env, user, held, open, close: () => silent.close() };
  }

  test("a client that leaves while it opens has the opening abandoned and reported", TIMEOUT, async () => {
    const provider = await silentProvider();
    try {
      const { client, upstream } = await provider.open();
      const upstreamClosed = once(upstream, "close");
      const served = provider.env.gateway.waitForLog('"outcome":"client_aborted"');
      client.terminate();
      await upstreamClosed;
      const line = JSON.parse(await served) as { served: { operation: string; status: number } };
      assert.equal(line.served.operation, "stt");
      assert.equal(line.served.status, 499);
      assert.equal(provider.held.size, 0, "no connection to the provider is left open");
    } finally {
      await provider.env.close();
      provider.close();
    }
  });

  test(
    "revoking the user while the session opens aborts the opening; the client gets 4001 user_revoked",
    TIMEOUT,
    async () => {
      const provider = await silentProvider();
      try {
        const { upstream, outcome } = await provider.open();
        const upstreamClosed = once(upstream, "close");
        const userId = provider.user.id;
        await provider.env.gateway.byok.users.revokeUser(userId);
        await upstreamClosed; // the opening was abandoned, not left to the 10 s handshake limit
        assert.equal(await outcome, "closed 4001");
        assert.equal(provider.env.gateway.byok.pipeline.openCalls.size, 0, "nothing left registered");
        assert.equal(provider.held.size, 0);
      } finally {
        await provider.env.close();
        provider.close();
      }
    },
  );

  test("shutting down while it opens aborts the opening; the gateway closes at once", TIMEOUT, async () => {
    const provider = await silentProvider();
    try {
      const { upstream, outcome } = await provider.open();
      const upstreamClosed = once(upstream, "close");
      const started = performance.now();
      await provider.env.gateway.close(); // resolves only once every socket is gone
      await upstreamClosed;
      // Not held until the provider's 10 s handshake limit: the opening was aborted.
      assert.ok(
        performance.now() - started < 5000,
        `closed after ${Math.round(performance.now() - started)} ms`,
      );
      assert.match(await outcome, /^(HTTP 503|closed 100[16])$/, "the client is not left open");
      assert.equal(provider.held.size, 0);
    } finally {
      await provider.env.fake.close();
      provider.close();
    }
  });
});

describe("an opened session whose client never took it", () => {
  test("is closed upstream at once and reported (library API)", TIMEOUT, async () => {
    const env = await startListenGateway();
    try {
      const user = await env.user({ deepgram: USER_KEY });
      const { byok } = env.gateway;
      const context = await byok.handle({ authorization: `Bearer ${user.token}`, ...user.headers });
      const opened = nextConnection(env);
      const session = await byok.pipeline.openLive(
        {
          userId: context.principal.userId,
          plan: null,
          byok: context.byok,
          signal: new AbortController().signal,
        },
        new URLSearchParams(PCM_QUERY),
      );
      const connection = await opened;
      const served = env.gateway.waitForLog('"outcome":"client_aborted"');
      const started = performance.now();
      const gatewaySideClosed = once(session.upstream, "close");
      byok.pipeline.abandonLive(session);
      assert.deepEqual(await connection.closed, { code: 1000, reason: "", by: "client" });
      // The provider's close frame is read, so the gateway's socket is done now, not at ws's 30 s timer.
      await gatewaySideClosed;
      assert.ok(performance.now() - started < 5000, `${Math.round(performance.now() - started)} ms`);
      await served;
    } finally {
      await env.close();
    }
  });
});

describe("live sessions at shutdown", () => {
  test("an open session is closed with 1001 and its audio recorded", TIMEOUT, async () => {
    const env = await startListenGateway();
    let closedGateway = false;
    try {
      const user = await env.user({ deepgram: USER_KEY });
      const opened = nextConnection(env);
      const live = await openLive(env.liveUrl, PCM_QUERY, {
        authorization: `Token ${user.token}`,
        ...user.headers,
      });
      const connection = await opened;
      live.ws.send(pcm16Sine({ seconds: 0.5 }));
      await live.until((messages) => messages.length > 0);
      const served = env.gateway.waitForLog('"operation":"stt"');
      await env.gateway.close();
      closedGateway = true;
      assert.deepEqual(await live.closed, { code: 1001, reason: "the gateway is shutting down" });
      assert.equal((await connection.closed).by, "client");
      const line = JSON.parse(await served) as { served: { outcome: string; audioSeconds: number } };
      assert.equal(line.served.outcome, "shutdown");
      assert.equal(line.served.audioSeconds, 0.5);
    } finally {
      if (!closedGateway) await env.gateway.close();
      await env.fake.close();
    }
  });
});
