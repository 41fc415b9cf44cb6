/**
 * @module test/gateway/fallback-speech-held
 * A prerecorded upload is held for replay only after its request is admitted (an over-limit user's upload
 * is refused without being read), and only within `speechToText.replayHeldBytes`: past it, it streams once.
 */
import assert from "node:assert/strict";
import http from "node:http";
import { after, test } from "node:test";
import { startFakeDeepgram } from "../peers/fake-deepgram-provider.ts";
import { type ListenGateway, startListenGateway } from "../support/listen-gateway.ts";
import { pcm16Sine, wav } from "../support/test-audio.ts";

const TIMEOUT = { timeout: 30_000 };
const USER_KEY = "dg-user-key-held-00000000000000001";
const PRIMARY_KEY = "dg-primary-operator-key-held-00001";
const closers: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const close of closers) await close();
});

const listen = (env: ListenGateway, token: string, model: string, body: Uint8Array) =>
  fetch(`${env.gateway.url}/v1/listen?model=${model}`, {
    method: "POST",
    headers: { authorization: `Token ${token}`, "content-type": "audio/wav" },
    body,
  });

test("an over-limit user's declared upload is refused 429 before the gateway reads it", TIMEOUT, async () => {
  const env = await startListenGateway({ config: { rateLimits: { requestsPerMinute: 1 } } });
  closers.push(() => env.close());
  const user = await env.user();
  const first = await listen(env, user.token, "transcription", wav(pcm16Sine({ seconds: 0.2 }), 16000));
  assert.equal(first.status, 200, await first.text());
  const request = http.request(new URL(`${env.gateway.url}/v1/listen?model=transcription`), {
    method: "POST",
    headers: {
      authorization: `Token ${user.token}`,
      "content-type": "audio/wav",
      "content-length": 4 * 1024 * 1024,
    },
  });
  const answered = new Promise<number | undefined>((resolve, reject) => {
    request.once("response", (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.once("error", reject);
  });
  request.write(Buffer.alloc(1024)); // the rest is never sent: an answer proves the body was not awaited
  assert.equal(await answered, 429);
  request.destroy();
});

test(
  "past replayHeldBytes an upload streams through once: a failed attempt is not replayed",
  TIMEOUT,
  async () => {
    const primary = await startFakeDeepgram({ keys: [USER_KEY, PRIMARY_KEY] });
    const env = await startListenGateway({
      fakeKeys: [USER_KEY],
      config: {
        speechToText: { replayHeldBytes: 1024 },
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
        },
      },
    });
    closers.push(
      () => env.close(),
      () => primary.close(),
    );
    const user = await env.user({ deepgram: USER_KEY });
    const audio = wav(pcm16Sine({ seconds: 0.25 }), 16000); // 8 KiB, over the 1 KiB held for replay
    const before = env.fake.rest.length;
    primary.failNextRest(500, { err_code: "INTERNAL_SERVER_ERROR", err_msg: "broken" });
    const failed = await listen(env, user.token, "resilient", audio);
    assert.equal(failed.status, 502, await failed.text());
    assert.equal(env.fake.rest.length - before, 0, "the next route was not tried");
    const served = await listen(env, user.token, "resilient", audio);
    assert.equal(served.status, 200, await served.text());
    assert.equal(primary.rest.at(-1)!.bytes, audio.length, "the whole upload streamed through");
  },
);
