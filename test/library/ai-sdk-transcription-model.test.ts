/**
 * @module test/library/ai-sdk-transcription-model
 * `byok.transcriptionModel(feature)` with the real AI SDK (`transcribe`) against the loopback fake Deepgram:
 * the audio streamed through the pipeline's prerecorded path on the user's Deepgram key (request context)
 * or the operator's (explicit caller), the answer mapped to text, segments, words and duration, audio
 * seconds metered, Deepgram options from `providerOptions.deepgram`, refusals as `APICallError`.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { APICallError } from "@ai-sdk/provider";
import { transcribe } from "ai";
import { FAKE_TRANSCRIPT } from "../peers/fake-deepgram-provider.ts";
import {
  type ListenGateway,
  nextUpload,
  OPERATOR_DEEPGRAM_KEY,
  startListenGateway,
} from "../support/listen-gateway.ts";
import { pcm16Sine, wav } from "../support/test-audio.ts";

const USER_DEEPGRAM_KEY = "dg-user-key-ai-sdk-0000000000000000";
const TWO_SECONDS = wav(pcm16Sine({ seconds: 2 }), 16000);

let env: ListenGateway;
before(async () => {
  env = await startListenGateway();
});
after(() => env.close());

test("transcribe in a request context: the user's Deepgram key, text, segments, words and duration", async () => {
  const user = await env.user({ deepgram: USER_DEEPGRAM_KEY });
  const byok = env.gateway.byok;
  const context = await byok.handle({ authorization: `Bearer ${user.token}`, ...user.headers });
  const upload = nextUpload(env);
  const result = await byok.run(context, () =>
    transcribe({
      model: byok.transcriptionModel("transcription"),
      audio: TWO_SECONDS,
      providerOptions: { deepgram: { language: "en", diarize: false } },
      maxRetries: 0,
    }),
  );
  const recorded = await upload;
  assert.equal(recorded.headers.authorization, `Token ${USER_DEEPGRAM_KEY}`);
  assert.equal(recorded.query.model, "nova-3", "the feature's model, not the feature's name");
  assert.equal(recorded.query.language, "en");
  assert.equal(recorded.query.smart_format, "true", "the route's params still apply");
  assert.equal(result.text, FAKE_TRANSCRIPT);
  assert.equal(result.durationInSeconds, 2);
  assert.equal(result.language, "en");
  assert.equal(result.segments.length, 1);
  assert.equal(result.segments[0]!.text, FAKE_TRANSCRIPT);
  assert.equal(result.segments[0]!.startSecond, 0);
  assert.equal(result.segments[0]!.endSecond, 2);
  assert.equal(result.responses[0]!.headers?.["x-byok-route"], "deepgram/nova-3; source=byok");
  const report = await byok.usage.report(user.id, null);
  assert.equal(report.usage.byok.audio_seconds, 2);
});

test("an explicit caller without keys is operator-served", async () => {
  const user = await env.user();
  const upload = nextUpload(env);
  const result = await transcribe({
    model: env.gateway.byok.transcriptionModel("transcription", { userId: user.id }),
    audio: TWO_SECONDS.toString("base64"),
    maxRetries: 0,
  });
  assert.equal((await upload).headers.authorization, `Token ${OPERATOR_DEEPGRAM_KEY}`);
  assert.equal(result.text, FAKE_TRANSCRIPT);
  const report = await env.gateway.byok.usage.report(user.id, null);
  assert.equal(report.usage.operator.audio_seconds, 2);
});

test("a BYOK-only speech feature without keys, and a provider failure, are APICallErrors", async () => {
  const user = await env.user();
  const required = await transcribe({
    model: env.gateway.byok.transcriptionModel("meeting_notes", { userId: user.id }),
    audio: TWO_SECONDS,
    maxRetries: 0,
  }).catch((error: unknown) => error);
  assert.ok(APICallError.isInstance(required));
  assert.equal(required.statusCode, 403);
  assert.equal((required.data as { type: string }).type, "byok_required");

  // A 503 on a prerecorded upload small enough to be replayed is retried once on the same route
  // (routing.retry.maxRetries defaults to 1): the provider fails both attempts, the second is the answer.
  env.fake.failNextRest(503, { err_code: "SERVICE_UNAVAILABLE", err_msg: "overloaded" });
  env.fake.failNextRest(503, { err_code: "SERVICE_UNAVAILABLE", err_msg: "still overloaded" });
  const sentBefore = env.fake.rest.length;
  const failed = await transcribe({
    model: env.gateway.byok.transcriptionModel("transcription", { userId: user.id }),
    audio: TWO_SECONDS,
    maxRetries: 0,
  }).catch((error: unknown) => error);
  assert.ok(APICallError.isInstance(failed));
  assert.equal(failed.isRetryable, true);
  assert.equal(env.fake.rest.length - sentBefore, 2, "the 503 was retried once, then answered");
});
