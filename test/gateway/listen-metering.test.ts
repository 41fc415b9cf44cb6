/**
 * @module test/gateway/listen-metering.test
 * Live sessions the client cannot under-bill (issue 19): a client that does not read, one that closes with
 * 1000 or 3000 without CloseStream, one that drops, and a slow provider are all metered at least the audio
 * the gateway relayed, records are estimated exactly when the provider's figure was missing, the plan's
 * limit cuts a non-reading client, and the gateway's own idle limit closes a silent session.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setImmediate } from "node:timers/promises";
import { WebSocket } from "ws";
import {
  type ListenGateway,
  type ListenUser,
  nextConnection,
  openLive,
  startListenGateway,
} from "../support/listen-gateway.ts";
import { chunks, pcm16Sine } from "../support/test-audio.ts";

const PCM_QUERY = { model: "transcription", encoding: "linear16", sample_rate: "16000" } as const;
/** 16 kHz linear16 mono. */
const BYTES_PER_SECOND = 32_000;
const TIMEOUT = { timeout: 30_000 };

interface Served {
  readonly outcome: string;
  readonly audioSeconds: number;
  readonly estimated: boolean;
}

const userHeaders = (user: ListenUser) => ({ authorization: `Token ${user.token}`, ...user.headers });

/** The session's usage record, from the gateway's log line for `user`. */
async function servedLine(line: Promise<string>): Promise<Served> {
  return (JSON.parse(await line) as { served: Served }).served;
}

function servedOf(env: ListenGateway, user: ListenUser): Promise<Served> {
  return servedLine(env.gateway.waitForLog(`"served":{"userId":"${user.id}"`));
}

/** Sends `frames` in batches, letting the gateway (in this process) run between them; stops at a close. */
async function pump(ws: WebSocket, frames: readonly Buffer[]): Promise<void> {
  for (let at = 0; at < frames.length && ws.readyState === WebSocket.OPEN; at += 500) {
    for (const frame of frames.slice(at, at + 500)) ws.send(frame);
    await setImmediate();
  }
}

function atLeast(metered: number, relayed: number, what: string): void {
  assert.ok(metered >= relayed - 1e-9, `${what}: metered ${metered} s < relayed ${relayed} s`);
}

describe("live metering from what the gateway relayed", () => {
  let env: ListenGateway;
  before(async () => {
    env = await startListenGateway({
      config: {
        plans: {
          generous: { limits: [{ meter: "audio_seconds", period: "day", limit: 100_000 }] },
          small: { limits: [{ meter: "audio_seconds", period: "day", limit: 3 }] },
        },
        speechToText: { liveMaxBufferedBytes: 16 * 1024, liveFinishTimeoutMs: 1000, liveIdleTimeoutMs: 1000 },
      },
    });
  });
  after(() => env.close());

  for (const code of [1000, 3000]) {
    test(
      `a close with ${code} without CloseStream is finished upstream and metered whole`,
      TIMEOUT,
      async () => {
        const user = await env.user({}, "generous");
        const opened = nextConnection(env);
        const live = await openLive(env.liveUrl, PCM_QUERY, userHeaders(user));
        const connection = await opened;
        const served = servedOf(env, user);
        for (const frame of chunks(pcm16Sine({ seconds: 1 }), 640)) live.ws.send(frame);
        live.ws.close(code, "done"); // at once: no result was read, no CloseStream sent
        await connection.closed;
        assert.deepEqual(
          connection.controlMessages,
          ["CloseStream"],
          "the gateway finished the session upstream",
        );
        const record = await served;
        atLeast(record.audioSeconds, connection.bytes / BYTES_PER_SECOND, "after the client's close");
        assert.equal(connection.bytes, BYTES_PER_SECOND, "all of the audio was relayed");
        assert.equal(record.estimated, false, "the provider's Metadata came");
      },
    );
  }

  test(
    "a client that does not read is read no more either, and metered what was relayed",
    TIMEOUT,
    async () => {
      const user = await env.user({}, "generous");
      const opened = nextConnection(env);
      const live = await openLive(env.liveUrl, PCM_QUERY, userHeaders(user));
      const connection = await opened;
      const served = servedOf(env, user);
      live.ws.pause(); // reads nothing: results pile up towards it
      // Every 20 ms frame is answered with a result of 256 KiB: were the audio all relayed, 200 MiB of
      // results would have to fit in the socket buffers towards the client (loopback's grow to tens of
      // MiB at most), so the gateway must stop reading the audio long before its end.
      env.fake.setLiveResultPadding(256 * 1024);
      const SECONDS = 16;
      const frames = chunks(pcm16Sine({ seconds: SECONDS }), 640);
      try {
        // Half a second at a time, the next only once the provider has all of the last: the audio keeps
        // coming for as long as the gateway reads it. When it stops reading, the batch never arrives
        // and the gateway's idle limit ends the session (the provider's socket settles).
        let sent = 0;
        for (let at = 0; at < frames.length; at += 25) {
          for (const frame of frames.slice(at, at + 25)) {
            live.ws.send(frame);
            sent += frame.length;
          }
          const delivered = await connection
            .until((c) => c.bytes >= sent)
            .then(
              () => true,
              () => false,
            );
          if (!delivered) break;
        }
      } finally {
        env.fake.setLiveResultPadding(0);
      }
      const relayed = connection.bytes / BYTES_PER_SECOND;
      assert.ok(
        relayed < SECONDS,
        `the gateway stopped reading the client's audio (${relayed} s of ${SECONDS} s relayed)`,
      );
      const record = await served;
      assert.equal(record.outcome, "idle_timeout");
      atLeast(record.audioSeconds, relayed, "a non-reading client");
      live.ws.terminate();
    },
  );

  test("the plan's limit cuts a client that does not read (4002)", TIMEOUT, async () => {
    const user = await env.user({}, "small"); // 3 audio seconds a day
    const opened = nextConnection(env);
    const live = await openLive(env.liveUrl, PCM_QUERY, userHeaders(user));
    const connection = await opened;
    const served = servedOf(env, user);
    live.ws.pause();
    void pump(live.ws, chunks(pcm16Sine({ seconds: 30 }), 64));
    // The session ends upstream (cut) or the provider received all 30 s (not cut).
    await connection.until((c) => c.bytes === 30 * BYTES_PER_SECOND).catch(() => {});
    const relayed = connection.bytes / BYTES_PER_SECOND;
    assert.ok(relayed <= 3 + 1.5, `cut at the plan's limit: ${relayed} s relayed on a 3 s plan`);
    await connection.closed;
    live.ws.resume();
    const closed = await live.closed;
    assert.equal(closed.code, 4002, closed.reason);
    const record = await served;
    atLeast(record.audioSeconds, relayed, "a session cut at the limit");
  });

  test("a client silent for the idle limit is closed with 4008 and finished upstream", TIMEOUT, async () => {
    const user = await env.user({}, "generous");
    const opened = nextConnection(env);
    const live = await openLive(env.liveUrl, PCM_QUERY, userHeaders(user));
    const connection = await opened;
    live.ws.send(pcm16Sine({ seconds: 0.1 }));
    const closed = await live.closed; // no audio, no KeepAlive: the gateway's limit, not the provider's
    assert.equal(closed.code, 4008);
    assert.match(closed.reason, /^idle_timeout: /);
    await connection.closed;
    assert.deepEqual(connection.controlMessages, ["CloseStream"]);
  });
});

describe("live metering with a slow provider", () => {
  let env: ListenGateway;
  before(async () => {
    env = await startListenGateway({
      config: {
        plans: { generous: { limits: [{ meter: "audio_seconds", period: "day", limit: 100_000 }] } },
        speechToText: { liveFinishTimeoutMs: 400 },
      },
    });
  });
  after(() => env.close());

  for (const end of ["close 1000", "drop"] as const) {
    test(
      `a ${end} while the provider has not answered is charged the relayed audio, estimated`,
      TIMEOUT,
      async () => {
        env.fake.setLiveReplyDelay(2000); // answers after the gateway stops waiting
        const user = await env.user({}, "generous");
        const opened = nextConnection(env);
        const live = await openLive(env.liveUrl, PCM_QUERY, userHeaders(user));
        const connection = await opened;
        const served = servedOf(env, user);
        live.ws.send(pcm16Sine({ seconds: 0.5 }));
        await connection.until((c) => c.bytes === BYTES_PER_SECOND / 2);
        if (end === "drop") live.ws.terminate();
        else live.ws.close(1000);
        const record = await served;
        assert.equal(record.audioSeconds, 0.5, "the relayed audio's duration");
        assert.equal(record.estimated, true, "the provider's figure never came");
        assert.equal(record.outcome, end === "drop" ? "client_gone" : "ok");
      },
    );
  }
});

describe("live metering with a provider that answers within the wait", () => {
  /**
   * Far longer than the fake's reply delay, so that load on a shared machine cannot make the gateway give
   * up first; the test never waits it out: it ends on the usage record, which the provider's Metadata
   * brings (a gateway that stopped waiting early would record the session estimated).
   */
  const FINISH_WAIT_MS = 15_000;
  let env: ListenGateway;
  before(async () => {
    env = await startListenGateway({
      config: {
        plans: { generous: { limits: [{ meter: "audio_seconds", period: "day", limit: 100_000 }] } },
        speechToText: { liveFinishTimeoutMs: FINISH_WAIT_MS },
      },
      fakeReplyDelayMs: 100,
    });
  });
  after(() => env.close());

  test("a provider answering within the wait is charged its Metadata, not estimated", TIMEOUT, async () => {
    const user = await env.user({}, "generous");
    const opened = nextConnection(env);
    const live = await openLive(env.liveUrl, PCM_QUERY, userHeaders(user));
    const connection = await opened;
    const served = servedOf(env, user);
    live.ws.send(pcm16Sine({ seconds: 0.5 }));
    await connection.until((c) => c.bytes === BYTES_PER_SECOND / 2);
    live.ws.terminate();
    const record = await served;
    assert.equal(record.audioSeconds, 0.5);
    assert.equal(record.estimated, false, "the Metadata came in time");
  });
});
