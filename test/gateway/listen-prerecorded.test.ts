/**
 * @module test/gateway/listen-prerecorded.test
 * `POST /v1/listen` through the gateway to the loopback fake Deepgram: the official SDK on BYOK and operator
 * keys, the upload streamed (never buffered whole), the size limit, `{"url"}` bodies, errors and metering.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { DeepgramError } from "@deepgram/sdk";
import { FAKE_TRANSCRIPT, FAKE_URL_AUDIO_SECONDS } from "../peers/fake-deepgram-provider.ts";
import { call } from "../support/gateway-client.ts";
import {
  type ListenGateway,
  nextUpload,
  OPERATOR_DEEPGRAM_KEY,
  startListenGateway,
} from "../support/listen-gateway.ts";
import { pcm16Sine, wav } from "../support/test-audio.ts";

const USER_KEY = "dg-user-key-prerecorded-0123456789";
const TIMEOUT = { timeout: 20_000 };

interface UsageView {
  usage: {
    byok: { requests: number; audio_seconds: number };
    operator: { requests: number; audio_seconds: number };
  };
  limits: Array<{ meter: string; used: number; limit: number }>;
}

async function usageOf(env: ListenGateway, token: string): Promise<UsageView> {
  const response = await call(env.gateway, "GET", "/v1/usage", { token });
  assert.equal(response.status, 200, response.text);
  return response.body as UsageView;
}

function near(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-6, `${what}: ${actual} ≠ ${expected}`);
}

/** POST /v1/listen with fetch (headers visible), the gateway token in Deepgram's `Token` form. */
async function listen(
  env: ListenGateway,
  token: string,
  query: Record<string, string>,
  init: { body?: RequestInit["body"]; headers?: Record<string, string>; duplex?: "half" } = {},
) {
  const response = await fetch(`${env.gateway.url}/v1/listen?${new URLSearchParams(query)}`, {
    method: "POST",
    ...init,
    headers: { authorization: `Token ${token}`, "content-type": "audio/wav", ...init.headers },
  } as RequestInit);
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = {};
  }
  return { status: response.status, headers: response.headers, body, text };
}

describe("POST /v1/listen (prerecorded)", () => {
  let env: ListenGateway;
  before(async () => {
    env = await startListenGateway({
      config: {
        speechToText: { maxUploadBytes: 256 * 1024 },
        plans: { free: { limits: [{ meter: "audio_seconds", period: "day", limit: 3 }] } },
      },
    });
  });
  after(() => env.close());

  test("the official SDK transcribes a file on the user's own Deepgram key", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY });
    const audio = wav(pcm16Sine({ seconds: 1.5 }), 16000);
    const received = nextUpload(env);
    const data = await user.deepgram.listen.v1.media.transcribeFile(audio, {
      model: "transcription",
      language: "en",
      diarize: true,
    });
    const upstream = await received;
    assert.equal(upstream.headers.authorization, `Token ${USER_KEY}`, "the fake sees the user's key");
    assert.equal(upstream.query.model, "nova-3", "the feature's model replaces the feature name");
    assert.equal(upstream.query.language, "en", "client options pass through");
    assert.equal(upstream.query.diarize, "true");
    assert.equal(upstream.query.smart_format, "true", "the route's params are defaults");
    assert.equal(upstream.contentType, "application/octet-stream", "the SDK's content type, passed on");
    assert.equal(upstream.bytes, audio.length);
    assert.ok(!upstream.path.includes(USER_KEY) && !upstream.path.includes(user.token));
    assert.ok("metadata" in data && "results" in data);
    near(data.metadata.duration ?? 0, 1.5, "duration");
    assert.equal(data.results.channels[0]?.alternatives?.[0]?.transcript, FAKE_TRANSCRIPT);
    assert.equal(data.results.channels[0]?.alternatives?.[0]?.words?.[0]?.speaker, 0);

    const usage = await usageOf(env, user.token);
    assert.equal(usage.usage.byok.requests, 1);
    near(usage.usage.byok.audio_seconds, 1.5, "BYOK audio seconds recorded");
    assert.equal(usage.usage.operator.requests, 0);
  });

  test("the answer is Deepgram's own text, with X-BYOK-Route and X-BYOK-Status", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY });
    const response = await listen(
      env,
      user.token,
      { model: "transcription" },
      {
        body: wav(pcm16Sine({ seconds: 0.5 }), 16000),
        headers: user.headers,
      },
    );
    assert.equal(response.status, 200, response.text);
    assert.equal(response.headers.get("x-byok-route"), "deepgram/nova-3; source=byok");
    assert.match(response.headers.get("x-byok-status") ?? "", /^active; accepted=.*deepgram/);
    const upstream = env.fake.rest.at(-1)!;
    assert.equal((response.body.metadata as { request_id: string }).request_id.length, 36);
    assert.equal((response.body.metadata as { sha256: string }).sha256, upstream.sha256);
  });

  test("a user without a Deepgram key is served on the operator's key and metered", TIMEOUT, async () => {
    const user = await env.user({}, "free");
    const received = nextUpload(env);
    const data = await user.deepgram.listen.v1.media.transcribeFile(wav(pcm16Sine({ seconds: 1 }), 16000), {
      model: "transcription",
    });
    assert.equal((await received).headers.authorization, `Token ${OPERATOR_DEEPGRAM_KEY}`);
    assert.ok("metadata" in data);
    const usage = await usageOf(env, user.token);
    assert.equal(usage.usage.operator.requests, 1);
    near(usage.usage.operator.audio_seconds, 1, "operator audio seconds recorded");
    const limit = usage.limits.find((entry) => entry.meter === "audio_seconds");
    near(limit?.used ?? -1, 1, "the plan's counter holds the reported duration");
  });

  test(
    "operator-served audio past the plan's audio seconds is refused with 402 before any upload",
    TIMEOUT,
    async () => {
      const user = await env.user({}, "free");
      // 2.5 s (a {"url"} body) + 1 s: the counter reaches 3.5 ≥ 3.
      const first = await user.deepgram.listen.v1.media.transcribeUrl({
        url: "https://audio.example/a.wav",
        model: "transcription",
      });
      assert.ok("metadata" in first);
      await user.deepgram.listen.v1.media.transcribeFile(wav(pcm16Sine({ seconds: 1 }), 16000), {
        model: "transcription",
      });
      const before = env.fake.rest.length;
      const refused = await listen(
        env,
        user.token,
        { model: "transcription" },
        { body: wav(pcm16Sine({ seconds: 1 }), 16000) },
      );
      assert.equal(refused.status, 402, refused.text);
      assert.equal(refused.body.err_code, "quota_exceeded");
      assert.equal(refused.body.meter, "audio_seconds");
      assert.equal(refused.body.limit, 3);
      near(refused.body.used as number, 3.5, "used");
      assert.match(String(refused.body.err_msg), /audio_seconds limit is reached/);
      assert.equal(env.fake.rest.length, before, "the provider never saw the refused upload");

      // The same plan never limits BYOK-served transcription.
      const byokUser = await env.user({ deepgram: USER_KEY }, "free");
      for (let i = 0; i < 3; i++) {
        const served = await listen(
          env,
          byokUser.token,
          { model: "transcription" },
          {
            body: wav(pcm16Sine({ seconds: 2 }), 16000),
            headers: byokUser.headers,
          },
        );
        assert.equal(served.status, 200, served.text);
      }
      const usage = await usageOf(env, byokUser.token);
      near(usage.usage.byok.audio_seconds, 6, "BYOK audio recorded past the plan's limit");
    },
  );

  test("the upload is streamed through as it arrives, not buffered whole", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY });
    const audio = wav(pcm16Sine({ seconds: 2 }), 16000);
    const head = audio.subarray(0, 20_000);
    const tail = audio.subarray(20_000);
    let sendTail: () => void = () => {};
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(head);
        sendTail = () => {
          controller.enqueue(tail);
          controller.close();
        };
      },
    });
    const uploaded = nextUpload(env);
    const answered = listen(
      env,
      user.token,
      { model: "transcription" },
      { body, headers: user.headers, duplex: "half" },
    );
    const upstream = await uploaded;
    // The provider holds the first part while the client has not sent the rest yet.
    await upstream.until((record) => record.bytes >= head.length);
    assert.equal(upstream.status, null, "no answer before the upload ends");
    assert.equal(upstream.headers["content-length"], undefined, "a chunked upload stays chunked");
    sendTail();
    const response = await answered;
    assert.equal(response.status, 200, response.text);
    assert.equal(upstream.bytes, audio.length);
    near((response.body.metadata as { duration: number }).duration, 2, "duration");
  });

  test(
    "an upload over the limit is a 413: at once for its Content-Length, mid-stream when chunked",
    TIMEOUT,
    async () => {
      const user = await env.user({ deepgram: USER_KEY });
      const before = env.fake.rest.length;
      const big = Buffer.alloc(300 * 1024, 1);
      const declared = await listen(
        env,
        user.token,
        { model: "transcription" },
        { body: big, headers: user.headers },
      );
      assert.equal(declared.status, 413, declared.text);
      assert.equal(declared.body.err_code, "payload_too_large");
      assert.match(String(declared.body.err_msg), /262144-byte limit/);
      assert.equal(env.fake.rest.length, before, "nothing reached the provider");

      const chunked = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 10; i++) controller.enqueue(Buffer.alloc(32 * 1024, 2));
          controller.close();
        },
      });
      const upstream = nextUpload(env);
      const cut = await listen(
        env,
        user.token,
        { model: "transcription" },
        {
          body: chunked,
          headers: { ...user.headers, "content-type": "audio/l16" },
          duplex: "half",
        },
      );
      assert.equal(cut.status, 413, cut.text);
      assert.equal(cut.body.err_code, "payload_too_large");
      assert.equal(await (await upstream).done, "aborted", "the provider's upload was aborted");
    },
  );

  test(
    'a {"url"} body is passed on for Deepgram to fetch; the gateway never fetches it',
    TIMEOUT,
    async () => {
      let hits = 0;
      const audioHost = http.createServer((_request, response) => {
        hits += 1;
        response.end("RIFF");
      });
      audioHost.listen(0, "127.0.0.1");
      await once(audioHost, "listening");
      const url = `http://127.0.0.1:${(audioHost.address() as AddressInfo).port}/talk.wav`;
      try {
        const user = await env.user({ deepgram: USER_KEY });
        const data = await user.deepgram.listen.v1.media.transcribeUrl({
          url,
          model: "transcription",
          punctuate: true,
        });
        assert.ok("metadata" in data);
        near(data.metadata.duration ?? 0, FAKE_URL_AUDIO_SECONDS, "duration");
        const upstream = env.fake.rest.at(-1)!;
        assert.equal(upstream.url, url);
        assert.equal(upstream.contentType, "application/json");
        assert.equal(upstream.query.punctuate, "true");
        assert.equal(hits, 0, "the gateway never fetched the URL");
      } finally {
        audioHost.close();
      }
    },
  );

  test("bad requests get clear errors in Deepgram's envelope", TIMEOUT, async () => {
    const user = await env.user({ deepgram: USER_KEY });
    const audio = wav(pcm16Sine({ seconds: 0.2 }), 16000);
    const cases: Array<{
      what: string;
      query: Record<string, string>;
      init: Parameters<typeof listen>[3];
      token?: string;
      status: number;
      type: string;
      message: RegExp;
    }> = [
      {
        what: "no model",
        query: {},
        init: { body: audio, headers: user.headers },
        status: 400,
        type: "invalid_request",
        message: /`model` is required/,
      },
      {
        what: "not a feature",
        query: { model: "nova-3" },
        init: { body: audio, headers: user.headers },
        status: 404,
        type: "model_not_found",
        message: /not a feature/,
      },
      {
        what: "a chat feature",
        query: { model: "summary" },
        init: { body: audio, headers: user.headers },
        status: 400,
        type: "no_route",
        message: /needs stt/,
      },
      {
        what: "an empty body",
        query: { model: "transcription" },
        init: { body: "", headers: user.headers },
        status: 400,
        type: "invalid_request",
        message: /empty/,
      },
      {
        what: "JSON without url",
        query: { model: "transcription" },
        init: { body: '{"uri":"x"}', headers: { ...user.headers, "content-type": "application/json" } },
        status: 400,
        type: "invalid_request",
        message: /\{"url"/,
      },
      {
        what: "a non-http url",
        query: { model: "transcription" },
        init: {
          body: '{"url":"file:///etc/passwd"}',
          headers: { ...user.headers, "content-type": "application/json" },
        },
        status: 400,
        type: "invalid_request",
        message: /http\(s\) URL/,
      },
      {
        what: "broken JSON",
        query: { model: "transcription" },
        init: { body: '{"url":', headers: { ...user.headers, "content-type": "application/json" } },
        status: 400,
        type: "invalid_json",
        message: /not valid JSON/,
      },
      {
        what: "a mismatched key",
        query: { model: "transcription" },
        init: { body: audio, headers: { ...user.headers, "x-byok-deepgram": "dg-not-the-enrolled-key" } },
        status: 403,
        type: "byok_key_mismatch",
        message: /deepgram/i,
      },
      {
        what: "no token",
        query: { model: "transcription" },
        init: { body: audio, headers: { authorization: "" } },
        status: 401,
        type: "missing_credentials",
        message: /Authorization: Token/,
      },
      {
        what: "a wrong token",
        query: { model: "transcription" },
        init: { body: audio },
        token: "byok_wrong",
        status: 401,
        type: "invalid_credentials",
        message: /not valid/,
      },
    ];
    for (const entry of cases) {
      const response = await listen(env, entry.token ?? user.token, entry.query, entry.init);
      assert.equal(response.status, entry.status, `${entry.what}: ${response.text}`);
      assert.equal(response.body.err_code, entry.type, entry.what);
      assert.match(String(response.body.err_msg), entry.message, entry.what);
      assert.equal(typeof response.body.request_id, "string", entry.what);
    }
  });

  test("BYOK-only features, operator callbacks and provider errors", TIMEOUT, async () => {
    const keyless = await env.user({});
    const audio = wav(pcm16Sine({ seconds: 0.2 }), 16000);
    const byokOnly = await listen(env, keyless.token, { model: "meeting_notes" }, { body: audio });
    assert.equal(byokOnly.status, 403, byokOnly.text);
    assert.equal(byokOnly.body.err_code, "byok_required");

    const callback = await listen(
      env,
      keyless.token,
      { model: "transcription", callback: "https://app.example/hook" },
      { body: audio },
    );
    assert.equal(callback.status, 400, callback.text);
    assert.equal(callback.body.param, "callback");
    assert.equal(callback.headers.get("x-byok-route"), "deepgram/nova-3; source=operator");

    const user = await env.user({ deepgram: USER_KEY });
    const acknowledged = await listen(
      env,
      user.token,
      { model: "transcription", callback: "https://app.example/hook" },
      { body: audio, headers: user.headers },
    );
    assert.equal(acknowledged.status, 200, "a callback works on the user's own key");
    assert.equal(typeof acknowledged.body.request_id, "string");

    env.fake.failNextRest(400, {
      err_code: "Bad Request",
      err_msg: `Bad Request: unknown option, key ${USER_KEY}`,
      request_id: "x",
    });
    const rejected = await listen(
      env,
      user.token,
      { model: "transcription" },
      { body: audio, headers: user.headers },
    );
    assert.equal(rejected.status, 400, rejected.text);
    assert.equal(rejected.body.err_code, "upstream_rejected");
    assert.equal(rejected.body.code, "Bad Request");
    assert.match(String(rejected.body.err_msg), /^deepgram: Bad Request: unknown option/);
    assert.ok(!rejected.text.includes(USER_KEY), "the key is redacted from the provider's message");

    // A 500 (a 503 is retried once on the same route: routing.retry).
    env.fake.failNextRest(500, { err_code: "INTERNAL_SERVER_ERROR", err_msg: "broken" });
    const failed = await listen(
      env,
      user.token,
      { model: "transcription" },
      { body: audio, headers: user.headers },
    );
    assert.equal(failed.status, 502, failed.text);
    assert.equal(failed.body.err_code, "upstream_error");

    // The SDK surfaces the gateway's status and envelope as a DeepgramError.
    await assert.rejects(
      keyless.deepgram.listen.v1.media.transcribeFile(audio, { model: "meeting_notes" }),
      (error: unknown) => error instanceof DeepgramError && error.statusCode === 403,
    );
  });

  test("GET /v1/listen without an upgrade is a 426", async () => {
    const user = await env.user({});
    const response = await fetch(`${env.gateway.url}/v1/listen?model=transcription`, {
      headers: { authorization: `Token ${user.token}` },
    });
    assert.equal(response.status, 426);
    assert.equal(((await response.json()) as { err_code: string }).err_code, "upgrade_required");
  });

  test(
    "a client that aborts mid-upload has the provider's upload aborted and the call reported",
    TIMEOUT,
    async () => {
      const user = await env.user({ deepgram: USER_KEY });
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(wav(pcm16Sine({ seconds: 0.5 }), 16000)); // and never ends
        },
      });
      const aborted = new AbortController();
      const uploaded = nextUpload(env);
      const answered = fetch(`${env.gateway.url}/v1/listen?model=transcription`, {
        method: "POST",
        body,
        duplex: "half",
        signal: aborted.signal,
        headers: { authorization: `Token ${user.token}`, "content-type": "audio/wav", ...user.headers },
      } as RequestInit).catch((error: Error) => error.name);
      const upstream = await uploaded;
      await upstream.until((record) => record.bytes > 0);
      const served = env.gateway.waitForLog(`"served":{"userId":"${user.id}"`);
      aborted.abort();
      assert.equal(await answered, "AbortError");
      assert.equal(await upstream.done, "aborted", "the provider's upload was aborted");
      const line = JSON.parse(await served) as { served: { outcome: string; status: number } };
      assert.equal(line.served.outcome, "client_aborted");
      assert.equal(line.served.status, 499);
    },
  );

  test(
    "an empty chunked upload is a 400; other content types are audio, passed on as they are",
    TIMEOUT,
    async () => {
      const user = await env.user({ deepgram: USER_KEY });
      const empty = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.close();
        },
      });
      const refused = await listen(
        env,
        user.token,
        { model: "transcription" },
        { body: empty, headers: user.headers, duplex: "half" },
      );
      assert.equal(refused.status, 400, refused.text);
      assert.match(String(refused.body.err_msg), /empty/);

      const uploaded = nextUpload(env);
      const audio = wav(pcm16Sine({ seconds: 0.25 }), 16000);
      const served = await listen(
        env,
        user.token,
        { model: "transcription" },
        { body: audio, headers: { ...user.headers, "content-type": "application/vnd.example+json" } },
      );
      assert.equal(served.status, 200, served.text);
      const upstream = await uploaded;
      assert.equal(upstream.contentType, "application/vnd.example+json");
      assert.equal(upstream.bytes, audio.length, "sent as bytes, not parsed");
    },
  );
});
