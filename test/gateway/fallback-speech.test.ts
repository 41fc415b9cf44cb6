/**
 * @module test/gateway/fallback-speech
 * Speech-to-text under the same attempt rules: a prerecorded upload within `replayUploadBytes` (or a URL)
 * moves to the next route after a failure, with the official Deepgram SDK; a chunked upload is attempted
 * once; a live session falls back only while it opens.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type FakeDeepgram, startFakeDeepgram } from "../peers/fake-deepgram-provider.ts";
import {
  type ListenGateway,
  type ListenUser,
  openLive,
  startListenGateway,
} from "../support/listen-gateway.ts";
import { pcm16Sine, wav } from "../support/test-audio.ts";

const TIMEOUT = { timeout: 30_000 };
const USER_KEY = "dg-user-key-fallback-000000000000001";
const PRIMARY_KEY = "dg-primary-operator-key-0000000000001";

const userHeaders = (user: ListenUser) => ({ authorization: `Token ${user.token}`, ...user.headers });

describe("speech-to-text fallbacks", () => {
  let env: ListenGateway;
  let primary: FakeDeepgram;

  before(async () => {
    primary = await startFakeDeepgram({ keys: [USER_KEY, PRIMARY_KEY] });
    env = await startListenGateway({
      fakeKeys: [USER_KEY],
      config: {
        connections: {
          "dg-primary": {
            kind: "deepgram",
            baseUrl: primary.origin,
            liveBaseUrl: primary.wsOrigin,
            apiKey: PRIMARY_KEY,
          },
        },
        features: {
          resilient: {
            routes: [
              { connection: "dg-primary", model: "nova-3" },
              { provider: "deepgram", model: "nova-3" },
            ],
          },
          summary: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }] },
        },
      },
    });
  });
  after(async () => {
    await env.close();
    await primary.close();
  });

  test(
    "prerecorded (official SDK): a 500 moves the held upload to the next route, on the user's own key",
    TIMEOUT,
    async () => {
      const user = await env.user({ deepgram: USER_KEY });
      const audio = wav(pcm16Sine({ seconds: 0.5 }), 16000);
      const before = { primary: primary.rest.length, backup: env.fake.rest.length };
      primary.failNextRest(500, { err_code: "INTERNAL_SERVER_ERROR", err_msg: "broken" });
      const data = await user.deepgram.listen.v1.media.transcribeFile(audio, { model: "resilient" });
      assert.ok("results" in data);
      assert.equal(primary.rest.length - before.primary, 1);
      assert.equal(env.fake.rest.length - before.backup, 1);
      const served = env.fake.rest.at(-1)!;
      assert.equal(served.bytes, audio.length, "the whole upload replayed");
      assert.equal(served.headers.authorization, `Token ${USER_KEY}`);
    },
  );

  test("prerecorded: X-BYOK-Route names the failed attempt", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY });
    primary.failNextRest(500, { err_code: "INTERNAL_SERVER_ERROR", err_msg: "broken" });
    const response = await fetch(`${env.gateway.url}/v1/listen?model=resilient`, {
      method: "POST",
      headers: { ...userHeaders(user), "content-type": "audio/wav" },
      body: wav(pcm16Sine({ seconds: 0.25 }), 16000),
    });
    assert.equal(response.status, 200, await response.text());
    assert.equal(
      response.headers.get("x-byok-route"),
      "deepgram/nova-3; source=byok; failed=dg-primary/nova-3@byok:500",
    );
  });

  test(
    "prerecorded: a chunked upload (no Content-Length) streams through once, never replayed",
    TIMEOUT,
    async () => {
      const user = await env.user({ deepgram: USER_KEY });
      const before = env.fake.rest.length;
      primary.failNextRest(500, { err_code: "INTERNAL_SERVER_ERROR", err_msg: "broken" });
      const audio = wav(pcm16Sine({ seconds: 0.25 }), 16000);
      const response = await fetch(`${env.gateway.url}/v1/listen?model=resilient`, {
        method: "POST",
        headers: { ...userHeaders(user), "content-type": "audio/wav" },
        body: new ReadableStream({
          start(controller) {
            controller.enqueue(audio);
            controller.close();
          },
        }),
        duplex: "half",
      } as RequestInit);
      assert.equal(response.status, 502, await response.text());
      assert.equal(env.fake.rest.length - before, 0, "the next route was not tried");
    },
  );

  test("live: a refused opening moves to the next route; the session then stays there", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY });
    primary.failNextLive(500, { err_code: "INTERNAL_SERVER_ERROR", err_msg: "broken" });
    const connected = env.fake.nextLiveConnection();
    const live = await openLive(
      env.liveUrl,
      { model: "resilient", encoding: "linear16", sample_rate: "16000" },
      userHeaders(user),
    );
    const upstream = await connected;
    assert.equal(upstream.key, USER_KEY);
    assert.equal(
      live.upgradeHeaders["x-byok-route"],
      "deepgram/nova-3; source=byok; failed=dg-primary/nova-3@byok:500",
    );
    live.ws.close(1000);
    await live.closed;
  });
});
