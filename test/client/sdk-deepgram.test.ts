/**
 * @module test/client/sdk-deepgram
 * Tested example: the official `@deepgram/sdk` wired with the kit's headers against a real gateway and a loopback
 * fake Deepgram; the transcription is BYOK-served on the user's Deepgram key.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { DeepgramClient } from "@deepgram/sdk";
import { createByokClient } from "../../client/src/create-byok-client.ts";
import { headers } from "../../client/src/headers.ts";
import {
  type ListenGateway,
  nextUpload,
  startListenGateway,
  USER_OPENAI_KEY,
} from "../support/listen-gateway.ts";
import { pcm16Sine, wav } from "../support/test-audio.ts";

// A Deepgram-only enrollment is refused by default: the user also brings a chat key.
const KEYS = { openai: USER_OPENAI_KEY, deepgram: "dg-kit-example-user-key-7777777777" };
let env: ListenGateway;

before(async () => {
  env = await startListenGateway();
});
after(() => env.close());

test("Deepgram SDK with headers(keys) transcribes on the user's own key", async () => {
  const { token } = await env.user();
  const byok = createByokClient({ baseUrl: env.gateway.url, token });
  await byok.enroll(KEYS);
  const deepgram = new DeepgramClient({
    apiKey: token,
    baseUrl: env.gateway.url,
    headers: headers(KEYS),
    maxRetries: 0,
  });
  const received = nextUpload(env);
  const data = await deepgram.listen.v1.media.transcribeFile(wav(pcm16Sine({ seconds: 1 }), 16000), {
    model: "transcription",
  });
  assert.ok("results" in data);
  const upstream = await received;
  assert.equal(upstream.headers.authorization, `Token ${KEYS.deepgram}`, "served on the user's own key");
  const usage = await byok.usage(KEYS);
  assert.equal(usage.usage.byok.requests, 1);
  assert.ok(usage.usage.byok.audio_seconds > 0);
  assert.equal(usage.usage.operator.requests, 0);
});
