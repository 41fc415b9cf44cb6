/**
 * @module test/gateway/listen-format-query.test
 * Review finding 5 over the wire: a live session is metered by the audio format sent upstream (the route's
 * params included), and a query whose format could be read two ways is refused before any provider socket
 * opens (close 4000 live, 400 on a prerecorded upload).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  LISTEN_FEATURES,
  type ListenGateway,
  type ListenUser,
  nextConnection,
  openLive,
  startListenGateway,
} from "../support/listen-gateway.ts";
import { chunks, pcm16Sine, wav } from "../support/test-audio.ts";

const TIMEOUT = { timeout: 30_000 };
/** 8 kHz mu-law mono: one byte a sample. */
const MULAW_BYTES_PER_SECOND = 8_000;

interface Served {
  readonly outcome: string;
  readonly audioSeconds: number;
  readonly estimated: boolean;
}

const userHeaders = (user: ListenUser) => ({ authorization: `Token ${user.token}`, ...user.headers });

describe("the live audio format is read one way", () => {
  let env: ListenGateway;
  before(async () => {
    env = await startListenGateway({
      config: {
        features: {
          ...LISTEN_FEATURES,
          phone: {
            routes: [
              {
                provider: "deepgram",
                model: "nova-3-phonecall",
                params: { encoding: "mulaw", sample_rate: 8000 },
              },
            ],
          },
        },
        plans: { generous: { limits: [{ meter: "audio_seconds", period: "day", limit: 100_000 }] } },
        speechToText: { liveFinishTimeoutMs: 300 },
      },
    });
  });
  after(() => env.close());

  test(
    "the route's encoding and sample_rate meter the session when the provider's figure is missing",
    TIMEOUT,
    async () => {
      // The provider never answers within the gateway's wait: the charge is the gateway's own measure.
      env.fake.setLiveReplyDelay(3000);
      const user = await env.user({}, "generous");
      const opened = nextConnection(env);
      const live = await openLive(env.liveUrl, { model: "phone" }, userHeaders(user));
      const connection = await opened;
      assert.equal(connection.query.encoding, "mulaw", "the route's format was sent upstream");
      assert.equal(connection.query.sample_rate, "8000");
      const served = env.gateway.waitForLog(`"served":{"userId":"${user.id}"`);
      const SECONDS = 4;
      for (const frame of chunks(Buffer.alloc(SECONDS * MULAW_BYTES_PER_SECOND, 0xff), 160))
        live.ws.send(frame);
      await connection.until((c) => c.bytes === SECONDS * MULAW_BYTES_PER_SECOND);
      live.ws.close(1000);
      const record = (JSON.parse(await served) as { served: Served }).served;
      assert.equal(record.estimated, true, "the provider's figure never came");
      // Metered from the client's query alone (no format: the 32,000 B/s fallback) this was 1 s.
      assert.equal(record.audioSeconds, SECONDS, "metered at 8 kHz mu-law, the format the provider decodes");
      env.fake.setLiveReplyDelay(0);
    },
  );

  test(
    "a duplicated or non-canonical format parameter closes with 4000 before any provider socket",
    TIMEOUT,
    async () => {
      const user = await env.user({}, "generous");
      const before = env.fake.live.length;
      const cases: Array<[string, RegExp]> = [
        [
          "model=transcription&encoding=linear16&sample_rate=48000&sample_rate=8000",
          /^invalid_request: `sample_rate` may be given only once/,
        ],
        [
          "model=transcription&encoding=mulaw&sample_rate=08000",
          /^invalid_request: `sample_rate` must be an integer/,
        ],
        ["model=phone&Sample_Rate=48000", /^invalid_request: `sample_rate` must be spelled in lowercase/],
        [
          "model=transcription&encoding=linear16&sample_rate=16000&channels=%2B2",
          /^invalid_request: `channels` must be an integer/,
        ],
        // The whole list fits the close frame uncut.
        [
          "model=transcription&encoding=LINEAR16&sample_rate=16000",
          /^invalid_request: `encoding` must be linear16, .* or g729\.$/,
        ],
      ];
      for (const [query, reason] of cases) {
        const live = await openLive(env.liveUrl, new URLSearchParams(query), userHeaders(user));
        const closed = await live.closed;
        assert.equal(closed.code, 4000, `${query}: ${closed.reason}`);
        assert.match(closed.reason, reason, query);
      }
      assert.equal(env.fake.live.length, before, "no provider socket was opened");
    },
  );

  test(
    "the same rule on a prerecorded upload: 400 in Deepgram's envelope, nothing sent upstream",
    TIMEOUT,
    async () => {
      const user = await env.user({}, "generous");
      const before = env.fake.rest.length;
      const response = await fetch(
        `${env.gateway.url}/v1/listen?model=transcription&sample_rate=8000&sample_rate=16000`,
        {
          method: "POST",
          headers: { authorization: `Token ${user.token}`, "content-type": "audio/wav", ...user.headers },
          body: wav(pcm16Sine({ seconds: 0.2 }), 16000),
        },
      );
      const body = (await response.json()) as Record<string, unknown>;
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(body.err_code, "invalid_request");
      assert.equal(body.param, "sample_rate");
      assert.match(String(body.err_msg), /`sample_rate` may be given only once/);
      assert.equal(env.fake.rest.length, before, "nothing was sent upstream");
    },
  );
});
