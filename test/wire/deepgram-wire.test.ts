/**
 * @module test/wire/deepgram-wire.test
 * The Deepgram wire pieces (error reading and envelope, durations, close codes), the listen query, the
 * speech-to-text configuration and routing: small pure functions, checked directly.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError, parseConfig } from "../../src/config/index.ts";
import { GatewayError } from "../../src/errors/gateway-error.ts";
import { SecretKey } from "../../src/keys/index.ts";
import { buildListenQuery } from "../../src/pipeline/build-listen-query.ts";
import { buildRoutingTable } from "../../src/pipeline/create-pipeline-kit.ts";
import { listModels } from "../../src/pipeline/list-models.ts";
import { createProviderRegistry } from "../../src/providers/index.ts";
import { type Route, resolveRoute } from "../../src/routing/index.ts";
import type { ByokContext } from "../../src/validation/byok-context.ts";
import { createLiveAudioMeter } from "../../src/wire/deepgram/create-live-audio-meter.ts";
import { toDeepgramErrorBody } from "../../src/wire/deepgram/deepgram-error-body.ts";
import {
  closeCodeFor,
  closeReason,
  closeReasonFor,
  relayedCloseCode,
} from "../../src/wire/deepgram/live-close-codes.ts";
import { readDeepgramError } from "../../src/wire/deepgram/read-deepgram-error.ts";
import { readLiveDuration, readPrerecordedDuration } from "../../src/wire/deepgram/read-listen-duration.ts";

const noKeys: ByokContext = {
  userId: "u",
  status: "none",
  inactiveReason: null,
  keys: {},
  custom: null,
  dropped: [],
  statusHeader: "none",
};

function route(params: Record<string, unknown> = {}): Route {
  return {
    feature: "transcription",
    provider: "deepgram",
    model: "nova-3",
    source: "byok",
    key: new SecretKey("dg-key"),
    baseUrl: "https://api.deepgram.com",
    guarded: false,
    params,
    capabilities: new Set(["stt"]),
    promptCacheKey: "off",
    responsesApi: false,
  };
}

describe("Deepgram errors", () => {
  test("legacy, modern and foreign error bodies are read leniently", () => {
    assert.deepEqual(readDeepgramError({ err_code: "INVALID_AUTH", err_msg: "Invalid credentials." }), {
      message: "Invalid credentials.",
      code: "INVALID_AUTH",
    });
    assert.deepEqual(readDeepgramError({ category: "INVALID_QUERY", message: "bad", details: "more" }), {
      message: "bad",
      code: "INVALID_QUERY",
    });
    assert.deepEqual(readDeepgramError({ details: "only details" }), { message: "only details", code: null });
    for (const body of [null, "text", [1], { err_msg: 5 }, {}]) {
      assert.deepEqual(readDeepgramError(body), { message: null, code: null });
    }
  });

  test("the envelope carries the stable type, the message, the request id and safe details", () => {
    const error = new GatewayError("quota_exceeded", {
      message: "limit reached",
      code: "audio_seconds",
      details: { plan: "free", used: 3.5, limit: 3 },
    });
    assert.deepEqual(toDeepgramErrorBody(error, "req-1"), {
      err_code: "quota_exceeded",
      err_msg: "limit reached",
      request_id: "req-1",
      code: "audio_seconds",
      plan: "free",
      used: 3.5,
      limit: 3,
    });
  });
});

describe("durations", () => {
  test("a prerecorded answer's metadata.duration; null for anything else", () => {
    assert.equal(readPrerecordedDuration({ metadata: { duration: 2.5 } }), 2.5);
    for (const body of [
      null,
      {},
      { metadata: null },
      { metadata: { duration: "2" } },
      { metadata: { duration: -1 } },
      { request_id: "x" },
    ]) {
      assert.equal(readPrerecordedDuration(body), null);
    }
  });

  test("live Results give progress, Metadata the total; other messages nothing", () => {
    assert.deepEqual(readLiveDuration('{"type":"Results","start":1.5,"duration":0.25}'), {
      kind: "progress",
      end: 1.75,
    });
    assert.deepEqual(readLiveDuration('{"type":"Metadata","duration":12.5}'), {
      kind: "total",
      seconds: 12.5,
    });
    for (const text of [
      '{"type":"UtteranceEnd","last_word_end":2}',
      '{"type":"SpeechStarted","timestamp":0}',
      '{"type":"Results","start":"1","duration":1}',
      '{"type":"Metadata"}',
      '"Results" but not JSON',
      "[]",
    ]) {
      assert.equal(readLiveDuration(text), null, text);
    }
  });
});

describe("close codes", () => {
  test("4xx errors close with 4000 + the status's last two digits; failures with 1014, 1013 or 1011", () => {
    const cases: Array<[GatewayError, number]> = [
      [new GatewayError("invalid_request"), 4000],
      [new GatewayError("invalid_credentials"), 4001],
      [new GatewayError("quota_exceeded"), 4002],
      [new GatewayError("byok_key_mismatch"), 4003],
      [new GatewayError("model_not_found"), 4004],
      [new GatewayError("rate_limited"), 4029],
      [new GatewayError("upstream_rejected", { status: 401 }), 4001],
      [new GatewayError("upstream_error"), 1014],
      [new GatewayError("upstream_timeout"), 1014],
      [new GatewayError("service_unavailable"), 1013],
      [new GatewayError("internal_error"), 1011],
    ];
    for (const [error, code] of cases) assert.equal(closeCodeFor(error), code, error.type);
  });

  test("reasons are `<type>: <message>`, cut to 123 bytes without splitting a character", () => {
    assert.equal(
      closeReasonFor(new GatewayError("byok_key_mismatch", { message: "deepgram" })),
      "byok_key_mismatch: deepgram",
    );
    const long = closeReason("é".repeat(200));
    assert.ok(Buffer.byteLength(long) <= 123);
    assert.ok(long.endsWith("…"));
    assert.ok(!long.includes("\uFFFD"));
    assert.equal(closeReason("short"), "short");
  });

  test("a peer's close code is relayed when it can be sent; the gateway's own range is not impersonated", () => {
    assert.equal(relayedCloseCode(1000), 1000);
    assert.equal(relayedCloseCode(1011), 1011);
    assert.equal(relayedCloseCode(1008), 1008);
    assert.equal(relayedCloseCode(1005), 1000, "a close frame without a code is a normal close");
    assert.equal(relayedCloseCode(1006), null, "an abnormal close has no frame to relay");
    assert.equal(relayedCloseCode(4003), 1014, "the provider cannot speak in the gateway's codes");
    assert.equal(relayedCloseCode(4500), 4500);
    assert.equal(relayedCloseCode(3000), 3000);
  });
});

describe("the listen query", () => {
  test("client options pass through, model is the route's, params are defaults, ticket is dropped", () => {
    const client = new URLSearchParams(
      "model=transcription&language=en&keyterm=a&keyterm=b&ticket=lt_secret&smart_format=false",
    );
    const built = buildListenQuery(
      client,
      route({ smart_format: true, diarize: true, keywords: ["x:2", "y"] }),
    );
    const query = new URLSearchParams(built.text);
    assert.equal(built.params.toString(), built.text, "the parameters are the text sent");
    assert.equal(query.get("model"), "nova-3");
    assert.equal(query.get("language"), "en");
    assert.deepEqual(query.getAll("keyterm"), ["a", "b"]);
    assert.equal(query.get("smart_format"), "false", "the client's value wins over the route's default");
    assert.equal(query.get("diarize"), "true");
    assert.deepEqual(query.getAll("keywords"), ["x:2", "y"]);
    assert.equal(query.has("ticket"), false);
  });

  test("the audio format sent upstream includes the route's params: the meter reads it (review 5)", () => {
    // The route says 8 kHz mu-law; the client names only the feature. Metered from the client's query,
    // 60 s of this audio counted 15 s (the fallback rate); from the query sent, 60 s.
    const built = buildListenQuery(
      new URLSearchParams("model=phone"),
      route({ encoding: "mulaw", sample_rate: 8000 }),
    );
    assert.equal(built.params.get("encoding"), "mulaw");
    assert.equal(built.params.get("sample_rate"), "8000");
    const meter = createLiveAudioMeter(built.params, 32_000);
    const audio = Buffer.alloc(8000 * 60, 0xff);
    for (let at = 0; at < audio.length; at += 160) meter.add(audio.subarray(at, at + 160));
    assert.equal(meter.basis, "query");
    assert.equal(meter.seconds(), 60);
  });

  test("an audio format given twice, in another case, or not in canonical form is a clear 400", () => {
    const refused: Array<[string, Record<string, unknown>, string]> = [
      ["encoding=linear16&sample_rate=48000&sample_rate=8000", {}, "sample_rate"],
      ["encoding=mulaw&encoding=linear16&sample_rate=8000", {}, "encoding"],
      ["channels=1&channels=2", {}, "channels"],
      ["Sample_Rate=48000", { sample_rate: 8000 }, "sample_rate"], // the route's default and the client's
      ["ENCODING=linear16", {}, "encoding"],
      ["", { sample_rate: [8000, 16000] }, "sample_rate"], // a route's list
      ["sample_rate=08000", {}, "sample_rate"],
      ["sample_rate=%2B8000", {}, "sample_rate"],
      ["sample_rate=-8000", {}, "sample_rate"],
      ["sample_rate=8000.0", {}, "sample_rate"],
      ["sample_rate=8e3", {}, "sample_rate"],
      ["sample_rate=%208000", {}, "sample_rate"],
      ["sample_rate=0", {}, "sample_rate"],
      ["sample_rate=768001", {}, "sample_rate"],
      ["sample_rate=", {}, "sample_rate"],
      ["channels=0", {}, "channels"],
      ["channels=33", {}, "channels"],
      ["channels=01", {}, "channels"],
      ["encoding=LINEAR16", {}, "encoding"],
      ["encoding=linear16%20", {}, "encoding"],
      ["encoding=pcm", {}, "encoding"],
    ];
    for (const [text, params, param] of refused) {
      assert.throws(
        () => buildListenQuery(new URLSearchParams(`model=t&${text}`), route(params)),
        (error: unknown) =>
          error instanceof GatewayError &&
          error.type === "invalid_request" &&
          error.param === param &&
          new RegExp(`^\`${param}\``).test(error.message),
        `${text} ${JSON.stringify(params)}`,
      );
    }
    const accepted: Array<[string, Record<string, unknown>]> = [
      ["encoding=linear16&sample_rate=768000&channels=32", {}],
      ["encoding=g729&sample_rate=8000&channels=1", {}],
      ["sample_rate=16000", { sample_rate: 8000 }], // the client's value wins over the route's default
      ["", { encoding: "mulaw", sample_rate: 8000 }],
      ["language=en", {}],
    ];
    for (const [text, params] of accepted) {
      assert.doesNotThrow(
        () => buildListenQuery(new URLSearchParams(`model=t&${text}`), route(params)),
        text,
      );
    }
  });

  test("an overlong query string is a clear 400", () => {
    const client = new URLSearchParams({ model: "t", keyterm: "k".repeat(20_000) });
    assert.throws(
      () => buildListenQuery(client, route()),
      (error: unknown) =>
        error instanceof GatewayError &&
        error.type === "invalid_request" &&
        /longer than/.test(error.message),
    );
  });
});

describe("speech-to-text configuration and routing", () => {
  const config = parseConfig({
    providers: { deepgram: { apiKey: "dg-operator", liveBaseUrl: "wss://dg.internal.example" } },
    features: {
      transcription: { routes: [{ provider: "deepgram", model: "nova-3" }] },
      summary: { routes: [{ provider: "openai", model: "gpt-4.1-mini" }] },
    },
  });
  const table = buildRoutingTable(config, createProviderRegistry());

  test("defaults, and the live base URL only for deepgram and only ws(s)", () => {
    const defaults = parseConfig({});
    assert.equal(defaults.speechToText.maxUploadBytes, 512 * 1024 * 1024);
    assert.equal(defaults.speechToText.ticketTtlSeconds, 30);
    assert.equal(config.providers.deepgram?.liveBaseUrl, "wss://dg.internal.example");
    for (const [input, path] of [
      [{ providers: { openai: { liveBaseUrl: "wss://x.example" } } }, "providers.openai.liveBaseUrl"],
      [{ providers: { deepgram: { liveBaseUrl: "https://x.example" } } }, "providers.deepgram.liveBaseUrl"],
      [{ speechToText: { ticketTtlSeconds: 60 } }, "speechToText.ticketTtlSeconds"],
      [{ speechToText: { maxUploadBytes: 10 } }, "speechToText.maxUploadBytes"],
    ] as const) {
      try {
        parseConfig(input);
        assert.fail(`accepted ${JSON.stringify(input)}`);
      } catch (error) {
        assert.ok(error instanceof ConfigError, String(error));
        assert.deepEqual(
          error.issues.map((issue) => issue.path),
          [path],
        );
      }
    }
  });

  test("an stt feature routes to deepgram for stt only; a chat feature never serves stt", () => {
    const served = resolveRoute(table, { model: "transcription", operation: "stt", needs: [] }, noKeys);
    assert.ok(served.ok);
    assert.equal(served.route.source, "operator");
    assert.equal(served.route.baseUrl, "https://api.deepgram.com");
    assert.equal(
      resolveRoute(table, { model: "transcription", operation: "chat", needs: [] }, noKeys).ok,
      false,
    );
    const chat = resolveRoute(table, { model: "summary", operation: "stt", needs: [] }, noKeys);
    assert.ok(!chat.ok && chat.error === "no_route");
    const direct = resolveRoute(
      table,
      { model: "deepgram/nova-2", operation: "stt", needs: [] },
      {
        ...noKeys,
        keys: { deepgram: new SecretKey("dg-user") },
      },
    );
    assert.ok(direct.ok && direct.route.source === "byok" && direct.route.model === "nova-2");
  });

  test("GET /v1/models lists a transcription feature the user can run", () => {
    const ids = listModels(table, noKeys, 0).data.map((entry) => entry.id);
    assert.ok(ids.includes("transcription"), ids.join(","));
  });
});
