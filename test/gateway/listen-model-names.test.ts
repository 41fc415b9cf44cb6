/**
 * @module test/gateway/listen-model-names
 * The official `@deepgram/sdk` sends Deepgram's own model names (`model=nova-3`): as an alias of a
 * transcription feature they are served as the feature, prerecorded and live; a request naming no model
 * (Deepgram makes it optional) or an unknown one goes to `routing.defaultFeatures.listen` when set.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  LISTEN_FEATURES,
  type ListenGateway,
  nextConnection,
  nextUpload,
  openLive,
  startListenGateway,
} from "../support/listen-gateway.ts";
import { chunks, pcm16Sine, wav } from "../support/test-audio.ts";

const USER_KEY = "dg-user-key-names-0123456789abcdef";
const TIMEOUT = { timeout: 30_000 };

describe("Deepgram model names as aliases (official @deepgram/sdk)", () => {
  let env: ListenGateway;
  before(async () => {
    env = await startListenGateway({
      config: {
        features: {
          ...LISTEN_FEATURES,
          transcription: { ...LISTEN_FEATURES.transcription, aliases: ["nova-3"] },
        },
      },
    });
  });
  after(() => env.close());

  test("prerecorded with model nova-3: served as the transcription feature", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY });
    const received = nextUpload(env);
    const data = await user.deepgram.listen.v1.media.transcribeFile(wav(pcm16Sine({ seconds: 0.5 }), 16000), {
      model: "nova-3",
    });
    const upstream = await received;
    assert.ok("results" in data);
    assert.equal(upstream.query.model, "nova-3", "the feature's route model");
    assert.equal(upstream.query.smart_format, "true", "the feature's params apply: the alias is the feature");
    assert.equal(upstream.headers.authorization, `Token ${USER_KEY}`);
  });

  test("live with model nova-3: the socket opens on the feature's route", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY });
    const opened = nextConnection(env);
    const socket = await user.deepgram.listen.v1.connect({
      model: "nova-3",
      encoding: "linear16",
      sample_rate: 16000,
      reconnectAttempts: 0,
    });
    const closed = Promise.withResolvers<{ code: number }>();
    socket.on("close", (event) => closed.resolve({ code: event.code }));
    socket.connect();
    await socket.waitForOpen();
    const connection = await opened;
    assert.equal(connection.query.model, "nova-3");
    assert.equal(connection.query.smart_format, "true", "the feature's params apply");
    for (const frame of chunks(pcm16Sine({ seconds: 0.1 }), 640)) socket.sendMedia(frame);
    socket.sendCloseStream({ type: "CloseStream" });
    assert.equal((await closed.promise).code, 1000);
  });

  test("live with an unknown model and no default: close 4004 naming what would match", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY });
    // Deepgram's way: the socket opens, then closes with the reason.
    const live = await openLive(
      env.liveUrl,
      { model: "nova-2", encoding: "linear16", sample_rate: "16000" },
      { authorization: `Token ${user.token}`, ...user.headers },
    );
    const { code, reason } = await live.closed;
    assert.equal(code, 4004);
    assert.match(reason, /^model_not_found: The model `nova-2` is not a feature or alias/);
  });
});

describe("routing.defaultFeatures.listen", () => {
  let env: ListenGateway;
  before(async () => {
    env = await startListenGateway({ config: { routing: { defaultFeatures: { listen: "transcription" } } } });
  });
  after(() => env.close());

  test("prerecorded with Deepgram's model name, or none, goes to the default feature", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY });
    for (const options of [{ model: "nova-2-general" }, {}]) {
      const received = nextUpload(env);
      const data = await user.deepgram.listen.v1.media.transcribeFile(
        wav(pcm16Sine({ seconds: 0.25 }), 16000),
        options,
      );
      assert.ok("results" in data);
      assert.equal((await received).query.model, "nova-3", JSON.stringify(options));
    }
  });

  test("live with no model goes to the default feature", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY });
    const opened = nextConnection(env);
    const live = await openLive(
      env.liveUrl,
      { encoding: "linear16", sample_rate: "16000" },
      { authorization: `Token ${user.token}`, ...user.headers },
    );
    assert.equal((await opened).query.model, "nova-3");
    live.ws.send(JSON.stringify({ type: "CloseStream" }));
    assert.equal((await live.closed).code, 1000);
  });
});
