/**
 * @module test/peers/fake-deepgram-provider.test
 * Self-test of the fake Deepgram (REST and live) driven by the official @deepgram/sdk and raw `ws`, checked against Deepgram's reference schemas.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { DeepgramClient } from "@deepgram/sdk";
import type { ValidateFunction } from "ajv";
import ajv2020Module from "ajv/dist/2020.js";
import ajvFormatsModule from "ajv-formats";
import { WebSocket } from "ws";
import YAML from "yaml";
import { chunks, pcm16Sine, readWavHeader, WAV_HEADER_BYTES, wav } from "../support/test-audio.ts";
import {
  FAKE_TRANSCRIPT,
  FAKE_URL_AUDIO_SECONDS,
  type FakeDeepgram,
  type LiveConnection,
  type LiveServerMessage,
  startFakeDeepgram,
} from "./fake-deepgram-provider.ts";

const KEY = "dg-test-key-0123456789abcdef";
const FRAME_BYTES = 640; // 20 ms of 16 kHz linear16 mono
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIMEOUT = { timeout: 15_000 };

type Json = Record<string, unknown>;

interface Results {
  type: "Results";
  channel_index: number[];
  start: number;
  duration: number;
  is_final: boolean;
  from_finalize: boolean;
  channel: { alternatives: Array<{ transcript: string; words: unknown[] }> };
  metadata: { request_id: string };
}

interface Metadata {
  type: "Metadata";
  request_id: string;
  duration: number;
  channels: number;
  sha256: string;
}

/* ---------- Deepgram's reference descriptions as JSON Schema ---------- */

/** Deepgram's published API descriptions (`DEEPGRAM_REFERENCE_DIR`, default the copies in test/fixtures/deepgram). */
const REFERENCE_DIR =
  process.env.DEEPGRAM_REFERENCE_DIR ?? fileURLToPath(new URL("../fixtures/deepgram/", import.meta.url));
const Ajv2020 = ajv2020Module.default;
const addFormats = ajvFormatsModule.default;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
for (const format of ["double", "float", "int32", "int64", "binary"]) ajv.addFormat(format, true);
for (const [file, id] of [
  ["deepgram-openapi.yml", "https://byok-gateway.test/deepgram-openapi.json"],
  ["deepgram-asyncapi.yml", "https://byok-gateway.test/deepgram-asyncapi.json"],
] as const) {
  const document = YAML.parse(readFileSync(`${REFERENCE_DIR}/${file}`, "utf8")) as Json;
  ajv.addSchema({ ...document, $id: id });
}
const validators = new Map<string, ValidateFunction>();

function assertSchema(document: "openapi" | "asyncapi", name: string, value: unknown): void {
  const ref = `https://byok-gateway.test/deepgram-${document}.json#/components/schemas/${name}`;
  let validate = validators.get(ref);
  if (!validate) {
    validate = ajv.compile({ $ref: ref });
    validators.set(ref, validate);
  }
  assert.ok(validate(value), `${name}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)}`);
}

const LIVE_SCHEMAS: Readonly<Record<string, string>> = {
  Results: "ListenV1_ListenV1Results",
  Metadata: "ListenV1_ListenV1Metadata",
  UtteranceEnd: "ListenV1_ListenV1UtteranceEnd",
  SpeechStarted: "ListenV1_ListenV1SpeechStarted",
};

function assertLiveMessagesValid(messages: readonly LiveServerMessage[]): void {
  for (const message of messages) {
    const schema = LIVE_SCHEMAS[message.type];
    assert.ok(schema, `unknown live message type ${message.type}`);
    assertSchema("asyncapi", schema, message);
  }
}

/* ---------- helpers ---------- */

function sdk(fake: FakeDeepgram, key = KEY): DeepgramClient {
  return new DeepgramClient({
    apiKey: key,
    environment: {
      base: fake.origin,
      production: fake.wsOrigin,
      agent: fake.wsOrigin,
      agentRest: fake.origin,
    },
    maxRetries: 0,
  });
}

/** A growing list with promise-based waiting (no sleeps). */
function collector<T>() {
  const items: T[] = [];
  const waiting: Array<{ predicate: (items: T[]) => boolean; resolve: () => void }> = [];
  return {
    items,
    push(item: T): void {
      items.push(item);
      for (let i = waiting.length - 1; i >= 0; i -= 1) {
        const waiter = waiting[i];
        if (waiter?.predicate(items)) {
          waiting.splice(i, 1);
          waiter.resolve();
        }
      }
    },
    until(predicate: (items: T[]) => boolean): Promise<void> {
      if (predicate(items)) return Promise.resolve();
      return new Promise((resolve) => waiting.push({ predicate, resolve }));
    },
  };
}

interface RawLive {
  readonly ws: WebSocket;
  readonly messages: ReturnType<typeof collector<Json>>;
  readonly closed: Promise<{ code: number; reason: string }>;
}

function liveUrl(fake: FakeDeepgram, query: Record<string, string>): string {
  return `${fake.wsOrigin}/v1/listen?${new URLSearchParams(query)}`;
}

async function openRaw(
  fake: FakeDeepgram,
  query: Record<string, string>,
  { key = KEY, protocols }: { key?: string | null; protocols?: string[] } = {},
): Promise<RawLive> {
  const headers: Record<string, string> = key === null ? {} : { authorization: `Token ${key}` };
  const ws = new WebSocket(liveUrl(fake, query), protocols ?? [], { headers });
  const messages = collector<Json>();
  ws.on("message", (data, isBinary) => {
    assert.equal(isBinary, false, "the fake only sends text frames");
    messages.push(JSON.parse(String(data)) as Json);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString("utf8") }));
  });
  await once(ws, "open");
  return { ws, messages, closed };
}

/** Opens a live socket the fake must refuse; resolves with the HTTP answer. */
function refusedUpgrade(
  fake: FakeDeepgram,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; dgError: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(liveUrl(fake, { model: "nova-3" }), { headers });
    ws.on("open", () => reject(new Error("the upgrade was accepted")));
    ws.on("error", reject);
    ws.on("unexpected-response", (_req, res) => {
      const parts: Buffer[] = [];
      res.on("data", (chunk: Buffer) => parts.push(chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(parts).toString("utf8"),
          dgError: String(res.headers["dg-error"] ?? ""),
        }),
      );
    });
  });
}

function results(messages: readonly Json[]): Results[] {
  return messages.filter((m) => m.type === "Results") as unknown as Results[];
}

function sha256(buffer: Buffer): string {
  return createHash("sha256").update(buffer).digest("hex");
}

function near(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} != ${expected}`);
}

/* ---------- test audio ---------- */

describe("test audio", () => {
  test("pcm16Sine is mono linear16 of the requested length and tone", () => {
    const pcm = pcm16Sine({ seconds: 0.5, sampleRate: 8000, frequency: 1000 });
    assert.equal(pcm.length, 0.5 * 8000 * 2);
    assert.equal(pcm.readInt16LE(0), 0);
    // 1 kHz at 8 kHz: sample 2 is a quarter period, the peak (half scale by default).
    assert.equal(pcm.readInt16LE(2 * 2), Math.round(0.5 * 32767));
    assert.equal(pcm.readInt16LE(6 * 2), Math.round(-0.5 * 32767));
    assert.equal(pcm16Sine({ seconds: 1 }).length, 32000, "defaults: 16 kHz");
  });

  test("wav writes a RIFF/WAVE header that readWavHeader reads back", () => {
    const pcm = pcm16Sine({ seconds: 0.25 });
    const file = wav(pcm, 16000);
    assert.equal(file.length, WAV_HEADER_BYTES + pcm.length);
    assert.equal(file.toString("ascii", 0, 4), "RIFF");
    assert.equal(file.readUInt32LE(4), file.length - 8);
    assert.equal(file.toString("ascii", 8, 12), "WAVE");
    assert.deepEqual(readWavHeader(file), {
      sampleRate: 16000,
      channels: 1,
      bitsPerSample: 16,
      dataOffset: WAV_HEADER_BYTES,
      dataBytes: pcm.length,
    });
    assert.ok(file.subarray(WAV_HEADER_BYTES).equals(pcm));
    assert.equal(readWavHeader(pcm), null);
    assert.equal(readWavHeader(file.subarray(0, 30)), null, "a truncated header is not read");
  });

  test("chunks splits into views that concatenate back", () => {
    const pcm = pcm16Sine({ seconds: 0.1 });
    const parts = chunks(pcm, FRAME_BYTES);
    assert.equal(parts.length, Math.ceil(pcm.length / FRAME_BYTES));
    assert.ok(parts.slice(0, -1).every((part) => part.length === FRAME_BYTES));
    assert.ok(Buffer.concat(parts).equals(pcm));
    assert.deepEqual(
      chunks(Buffer.alloc(5), 2).map((c) => c.length),
      [2, 2, 1],
    );
    assert.throws(() => chunks(pcm, 0), RangeError);
  });
});

/* ---------- REST ---------- */

describe("fake Deepgram REST /v1/listen", () => {
  let fake: FakeDeepgram;
  before(async () => {
    fake = await startFakeDeepgram();
  });
  after(() => fake.close());

  test(
    "the SDK transcribes a synthesized WAV file; duration comes from the WAV header",
    TIMEOUT,
    async () => {
      const file = wav(pcm16Sine({ seconds: 1.5 }), 16000);
      const { data, rawResponse } = await sdk(fake)
        .listen.v1.media.transcribeFile(file, {
          model: "nova-3",
          language: "en",
          smart_format: true,
          diarize: true,
        })
        .withRawResponse();
      assert.ok("metadata" in data, "a full transcription response");
      assertSchema("openapi", "ListenV1Response", data);
      assert.match(data.metadata.request_id, UUID);
      assert.equal(rawResponse.headers.get("dg-request-id"), data.metadata.request_id);
      near(data.metadata.duration, 1.5, "duration");
      assert.equal(data.metadata.channels, 1);
      assert.equal(data.metadata.sha256, sha256(file));
      const alternative = data.results.channels[0]?.alternatives?.[0];
      assert.equal(alternative?.transcript, FAKE_TRANSCRIPT);
      assert.equal(alternative?.words?.length, 4);
      near(alternative?.words?.at(-1)?.end ?? 0, 1.5, "last word end");

      const record = await fake.nextRest();
      assert.equal(await record.done, "answered");
      assert.equal(record.status, 200);
      assert.equal(record.method, "POST");
      assert.equal(record.bytes, file.length);
      assert.equal(record.sha256, sha256(file));
      assert.equal(record.url, null);
      assert.equal(record.contentType, "application/octet-stream");
      assert.equal(record.query.model, "nova-3");
      assert.equal(record.query.language, "en");
      assert.equal(record.query.smart_format, "true");
      assert.equal(record.query.diarize, "true");
      assert.equal(record.headers.authorization, `Token ${KEY}`);
      assert.ok(!record.path.includes(KEY), "the key is never in the URL");
    },
  );

  test("the SDK transcribes {url}: recorded, not fetched", TIMEOUT, async () => {
    const url = "https://audio.example.invalid/never-fetched.wav";
    const data = await sdk(fake).listen.v1.media.transcribeUrl({ url, model: "nova-3", punctuate: true });
    assert.ok("metadata" in data);
    assertSchema("openapi", "ListenV1Response", data);
    assert.equal(data.metadata.duration, FAKE_URL_AUDIO_SECONDS);
    assert.equal(data.results.channels[0]?.alternatives?.[0]?.transcript, FAKE_TRANSCRIPT);
    const record = await fake.nextRest();
    assert.equal(record.url, url);
    assert.equal(record.bytes, 0);
    assert.match(record.contentType, /^application\/json/);
    assert.equal(record.query.model, "nova-3");
    assert.equal(record.query.punctuate, "true");
    assert.equal(record.headers.authorization, `Token ${KEY}`);
  });

  test(
    "counts bytes as the upload streams in; raw linear16 is timed from encoding and sample_rate",
    TIMEOUT,
    async () => {
      const pcm = pcm16Sine({ seconds: 2 });
      const [head, tail] = [pcm.subarray(0, 20_000), pcm.subarray(20_000)];
      const gate = Promise.withResolvers<void>();
      let pulls = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          pulls += 1;
          if (pulls === 1) {
            controller.enqueue(head);
            return;
          }
          await gate.promise;
          controller.enqueue(tail);
          controller.close();
        },
      });
      const query = "model=nova-3&encoding=linear16&sample_rate=16000&keyterm=alpha&keyterm=beta";
      const responded = fetch(`${fake.origin}/v1/listen?${query}`, {
        method: "POST",
        headers: { authorization: `token ${KEY}`, "content-type": "audio/l16; rate=16000" },
        body,
        duplex: "half",
      });
      const record = await fake.nextRest();
      await record.until((r) => r.bytes >= head.length);
      assert.equal(record.status, null, "not answered before the upload ends");
      assert.equal(record.sha256, "");
      gate.resolve();
      const response = await responded;
      assert.equal(response.status, 200);
      const data = (await response.json()) as { metadata: { duration: number; sha256: string } };
      near(data.metadata.duration, 2, "duration");
      assert.equal(data.metadata.sha256, sha256(pcm));
      assert.equal(record.bytes, pcm.length);
      assert.equal(record.contentType, "audio/l16; rate=16000");
      assert.deepEqual(record.query.keyterm, ["alpha", "beta"], "repeated query names keep every value");
      assert.equal(record.query.encoding, "linear16");
    },
  );

  test("an upload the client aborts settles as aborted", TIMEOUT, async () => {
    const abort = new AbortController();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(4096));
      },
    });
    const responded = fetch(`${fake.origin}/v1/listen`, {
      method: "POST",
      headers: { authorization: `Token ${KEY}`, "content-type": "audio/wav" },
      body,
      duplex: "half",
      signal: abort.signal,
    });
    const record = await fake.nextRest();
    await record.until((r) => r.bytes >= 4096);
    abort.abort();
    await assert.rejects(responded);
    assert.equal(await record.done, "aborted");
    assert.equal(record.status, null);
  });

  test(
    "auth: Token required (Deepgram-style 401 otherwise); accepted keys can be restricted",
    TIMEOUT,
    async () => {
      const post = (authorization: string | null) =>
        fetch(`${fake.origin}/v1/listen`, {
          method: "POST",
          headers: { "content-type": "audio/wav", ...(authorization ? { authorization } : {}) },
          body: wav(pcm16Sine({ seconds: 0.1 }), 16000),
        });
      for (const authorization of [null, `Bearer ${KEY}`, "Token", KEY]) {
        const response = await post(authorization);
        assert.equal((await fake.nextRest()).headers.authorization, authorization ?? undefined);
        assert.equal(response.status, 401, String(authorization));
        const body = (await response.json()) as Json;
        assertSchema("openapi", "ErrorResponseLegacyError", body);
        assert.equal(body.err_code, "INVALID_AUTH");
        assert.equal(body.request_id, response.headers.get("dg-request-id"));
      }
      const restricted = await startFakeDeepgram({ keys: ["only-this-key"] });
      try {
        const wrong = sdk(restricted, KEY).listen.v1.media.transcribeFile(Buffer.alloc(640), {});
        await assert.rejects(wrong, (error: Error & { statusCode?: number }) => error.statusCode === 401);
        const right = await sdk(restricted, "only-this-key").listen.v1.media.transcribeFile(
          Buffer.alloc(640),
          {},
        );
        assert.ok("metadata" in right);
        near(right.metadata.duration, 0.02, "640 bytes at the 16 kHz linear16 fallback");
      } finally {
        await restricted.close();
      }
    },
  );

  test(
    "failNextRest answers the next request only; empty audio is a 400; callback gets a request_id",
    TIMEOUT,
    async () => {
      fake.failNextRest(503, { err_code: "SERVICE_UNAVAILABLE", err_msg: "try later", request_id: "x" });
      const failed = await fetch(`${fake.origin}/v1/listen`, {
        method: "POST",
        headers: { authorization: `Token ${KEY}` },
        body: Buffer.alloc(1000),
      });
      assert.equal(failed.status, 503);
      const failedRecord = await fake.nextRest();
      assert.deepEqual(await failed.json(), {
        err_code: "SERVICE_UNAVAILABLE",
        err_msg: "try later",
        request_id: "x",
      });
      assert.equal(failedRecord.bytes, 1000, "the failed request's body was still counted");
      assert.equal(failedRecord.status, 503);

      const empty = await fetch(`${fake.origin}/v1/listen`, {
        method: "POST",
        headers: { authorization: `Token ${KEY}`, "content-type": "audio/wav" },
      });
      assert.equal(empty.status, 400);
      assert.equal((await fake.nextRest()).bytes, 0);
      assertSchema("openapi", "ErrorResponseLegacyError", await empty.json());

      const callback = await fetch(
        `${fake.origin}/v1/listen?callback=${encodeURIComponent("https://cb.invalid/")}`,
        {
          method: "POST",
          headers: { authorization: `Token ${KEY}`, "content-type": "application/json" },
          body: JSON.stringify({ url: "https://audio.example.invalid/a.mp3" }),
        },
      );
      const accepted = (await callback.json()) as Json;
      assertSchema("openapi", "ListenV1AcceptedResponse", accepted);
      assert.deepEqual(Object.keys(accepted), ["request_id"]);
      assert.equal((await fake.nextRest()).url, "https://audio.example.invalid/a.mp3");
    },
  );
});

/* ---------- live ---------- */

describe("fake Deepgram live /v1/listen", () => {
  let fake: FakeDeepgram;
  before(async () => {
    fake = await startFakeDeepgram();
  });
  after(() => fake.close());

  test(
    "an SDK live session: frames up, Results down, CloseStream, Metadata, clean close",
    TIMEOUT,
    async () => {
      const socket = await sdk(fake).listen.v1.connect({
        model: "nova-3",
        encoding: "linear16",
        sample_rate: 16000,
        interim_results: "true",
        smart_format: "true",
        reconnectAttempts: 0,
      });
      const received = collector<Json>();
      const clientClosed = Promise.withResolvers<{ code: number; reason: string }>();
      socket.on("message", (message) => received.push(message as unknown as Json));
      socket.on("close", (event) => clientClosed.resolve({ code: event.code, reason: event.reason }));
      socket.connect();
      await socket.waitForOpen();
      const connection = await fake.nextLiveConnection();

      const pcm = pcm16Sine({ seconds: 1 });
      const frames = chunks(pcm, FRAME_BYTES);
      assert.equal(frames.length, 50);
      for (const frame of frames) socket.sendMedia(frame);
      await received.until((items) => results(items).length === frames.length);
      socket.sendCloseStream({ type: "CloseStream" });
      await received.until((items) => items.some((m) => m.type === "Metadata"));
      assert.deepEqual(await clientClosed.promise, { code: 1000, reason: "" });
      assert.deepEqual(await connection.closed, { code: 1000, reason: "", by: "server" });

      const all = received.items;
      const got = results(all);
      assert.equal(all.length, frames.length + 1, "one Results per frame, then Metadata");
      got.forEach((message, i) => {
        assert.equal(message.is_final, i % 2 === 1, `is_final alternates (frame ${i + 1})`);
        assert.equal(message.from_finalize, false);
        assert.deepEqual(message.channel_index, [0, 1]);
        assert.equal(message.metadata.request_id, connection.id);
        assert.equal(message.channel.alternatives[0]?.transcript, FAKE_TRANSCRIPT);
        near(message.start + message.duration, ((i + 1) * FRAME_BYTES) / 32000, `end of result ${i + 1}`);
      });
      const finals = got.filter((m) => m.is_final);
      near(
        finals.reduce((sum, m) => sum + m.duration, 0),
        1,
        "final results tile the audio",
      );
      const metadata = all.at(-1) as unknown as Metadata;
      assert.equal(metadata.type, "Metadata");
      assert.equal(metadata.request_id, connection.id);
      assert.equal(metadata.duration, 1);
      assert.equal(metadata.channels, 1);
      assert.equal(metadata.sha256, sha256(pcm));
      assert.deepEqual(connection.sent, all, "the fake's record matches what the client received");
      assertLiveMessagesValid(connection.sent);

      assert.match(connection.id, UUID);
      assert.equal(connection.frames, 50);
      assert.equal(connection.bytes, pcm.length);
      assert.deepEqual(connection.controlMessages, ["CloseStream"]);
      assert.equal(connection.auth, "header");
      assert.equal(connection.key, KEY);
      assert.equal(connection.headers.authorization, `Token ${KEY}`);
      assert.ok(!connection.path.includes(KEY), "the key is never in the URL");
      assert.equal(connection.query.model, "nova-3");
      assert.equal(connection.query.encoding, "linear16");
      assert.equal(connection.query.sample_rate, "16000");
      assert.equal(connection.query.interim_results, "true");
      assert.equal(connection.query.smart_format, "true");
      assert.equal(connection.closedBy, "server");
      assert.equal(connection.closeCode, 1000);
    },
  );

  test("one baseUrl option points the SDK's REST and live clients at the fake", TIMEOUT, async () => {
    const client = new DeepgramClient({ apiKey: KEY, baseUrl: fake.origin, maxRetries: 0 });
    const data = await client.listen.v1.media.transcribeFile(wav(pcm16Sine({ seconds: 0.5 }), 16000), {});
    assert.ok("metadata" in data);
    near(data.metadata.duration, 0.5, "duration");
    const socket = await client.listen.v1.connect({ model: "nova-3", reconnectAttempts: 0 });
    const opened = fake.nextLiveConnection();
    socket.connect();
    await socket.waitForOpen();
    const connection = await opened;
    assert.equal(connection.headers.authorization, `Token ${KEY}`);
    socket.close();
    assert.equal((await connection.closed).by, "client");
  });

  test("the browser form: Sec-WebSocket-Protocol token, <key>", TIMEOUT, async () => {
    const raw = await openRaw(fake, { model: "nova-3" }, { key: null, protocols: ["token", KEY] });
    const connection = await fake.nextLiveConnection();
    assert.equal(raw.ws.protocol, "token", "the fake selects the token subprotocol");
    assert.equal(connection.auth, "subprotocol");
    assert.equal(connection.key, KEY);
    assert.equal(connection.headers.authorization, undefined);
    raw.ws.close(1000);
    assert.deepEqual(await connection.closed, { code: 1000, reason: "", by: "client" });
  });

  test(
    "upgrades without a Token key are refused with 401; failNextLive refuses one upgrade",
    TIMEOUT,
    async () => {
      const before = fake.live.length;
      const attempts: Record<string, string>[] = [
        {},
        { authorization: `Bearer ${KEY}` },
        { authorization: "Token " },
      ];
      for (const headers of attempts) {
        const refused = await refusedUpgrade(fake, headers);
        assert.equal(refused.status, 401);
        assert.equal(refused.dgError, "Invalid credentials.");
        assert.equal((JSON.parse(refused.body) as Json).err_code, "INVALID_AUTH");
      }
      fake.failNextLive(400, { err_code: "Bad Request", err_msg: "bad sample_rate", request_id: "r" });
      const failed = await refusedUpgrade(fake, { authorization: `Token ${KEY}` });
      assert.equal(failed.status, 400);
      assert.equal(failed.dgError, "bad sample_rate");
      assert.equal(fake.live.length, before, "no refused upgrade became a connection");
      assert.deepEqual(
        fake.refusedLive.slice(-4).map((r) => r.status),
        [401, 401, 401, 400],
      );
    },
  );

  test(
    "KeepAlive is silent; Finalize flushes a from_finalize Results; vad_events and utterance_end_ms",
    TIMEOUT,
    async () => {
      const raw = await openRaw(fake, {
        model: "nova-3",
        encoding: "linear16",
        sample_rate: "16000",
        vad_events: "true",
        utterance_end_ms: "1000",
      });
      const connection = await fake.nextLiveConnection();
      for (const frame of chunks(pcm16Sine({ seconds: 0.06 }), FRAME_BYTES)) raw.ws.send(frame);
      await raw.messages.until((items) => results(items).length === 3);
      assert.equal(raw.messages.items[0]?.type, "SpeechStarted");
      raw.ws.send(JSON.stringify({ type: "KeepAlive" }));
      raw.ws.send(JSON.stringify({ type: "Finalize" }));
      await raw.messages.until((items) => items.length === 6);
      const [, , , , finalized, utteranceEnd] = raw.messages.items as [Json, Json, Json, Json, Json, Json];
      const flushed = finalized as unknown as Results;
      assert.equal(flushed.type, "Results", "KeepAlive got no answer: the next message answers Finalize");
      assert.equal(flushed.from_finalize, true);
      assert.equal(flushed.is_final, true);
      near(flushed.start, 0.04, "start");
      near(flushed.duration, 0.02, "duration");
      assert.equal(utteranceEnd.type, "UtteranceEnd");
      near(Number(utteranceEnd.last_word_end), 0.06, "last_word_end");
      assert.deepEqual(connection.controlMessages, ["KeepAlive", "Finalize"]);
      assertLiveMessagesValid(connection.sent);

      raw.ws.send(JSON.stringify({ type: "CloseStream" }));
      assert.deepEqual(await raw.closed, { code: 1000, reason: "" });
      const metadata = raw.messages.items.at(-1) as unknown as Metadata;
      assert.equal(metadata.type, "Metadata");
      near(metadata.duration, 0.06, "metadata duration");
      assert.deepEqual(connection.controlMessages, ["KeepAlive", "Finalize", "CloseStream"]);
    },
  );

  test(
    "closeAll(1011, 'boom') reaches every client; a vanished client is recorded as 1006",
    TIMEOUT,
    async () => {
      const first = await openRaw(fake, { model: "nova-3" });
      const firstConnection = await fake.nextLiveConnection();
      const second = await openRaw(fake, { model: "nova-3" });
      const secondConnection = await fake.nextLiveConnection();
      first.ws.send(Buffer.alloc(FRAME_BYTES));
      await firstConnection.until((c) => c.frames === 1);
      fake.closeAll(1011, "boom");
      assert.deepEqual(await first.closed, { code: 1011, reason: "boom" });
      assert.deepEqual(await second.closed, { code: 1011, reason: "boom" });
      assert.equal((await firstConnection.closed).by, "server");
      assert.equal(secondConnection.closedBy, "server");
      assert.equal(secondConnection.closeCode, 1011);
      await assert.rejects(
        firstConnection.until((c) => c.frames === 2),
        /settled before the condition held/,
      );

      const vanishing = await openRaw(fake, { model: "nova-3" });
      const vanishingConnection = await fake.nextLiveConnection();
      vanishing.ws.terminate();
      assert.deepEqual(await vanishingConnection.closed, { code: 1006, reason: "", by: "client" });
    },
  );

  test(
    "without an encoding, a WAV first frame sets the format and its header is not audio time",
    TIMEOUT,
    async () => {
      const raw = await openRaw(fake, { model: "nova-3" });
      const connection = await fake.nextLiveConnection();
      const file = wav(pcm16Sine({ seconds: 0.5, sampleRate: 8000 }), 8000);
      for (const frame of chunks(file, 1000)) raw.ws.send(frame);
      raw.ws.send(JSON.stringify({ type: "CloseStream" }));
      await raw.closed;
      const metadata = raw.messages.items.at(-1) as unknown as Metadata;
      near(metadata.duration, 0.5, "8 kHz WAV duration");
      assert.equal(connection.bytes, file.length);
    },
  );

  test("scripted send, pause/resume and terminate on one connection", TIMEOUT, async () => {
    const raw = await openRaw(fake, { model: "nova-3", encoding: "linear16", sample_rate: "16000" });
    const connection = await fake.nextLiveConnection();
    connection.send({ type: "SpeechStarted", channel: [0, 1], timestamp: 1.25 });
    await raw.messages.until((items) => items.length === 1);
    assert.deepEqual(raw.messages.items[0], { type: "SpeechStarted", channel: [0, 1], timestamp: 1.25 });
    connection.pause();
    raw.ws.send(Buffer.alloc(FRAME_BYTES));
    raw.ws.send(Buffer.alloc(FRAME_BYTES));
    connection.resume();
    await connection.until((c) => c.frames === 2);
    await raw.messages.until((items) => results(items).length === 2);
    connection.terminate();
    assert.equal((await raw.closed).code, 1006);
    assert.deepEqual(await connection.closed, { code: 1006, reason: "", by: "server" });
  });

  test("the reference schemas are not vacuous: malformed messages fail them", () => {
    assert.throws(
      () => assertSchema("asyncapi", "ListenV1_ListenV1Results", { type: "Results" }),
      /must have required/,
    );
    assert.throws(
      () => assertSchema("asyncapi", "ListenV1_ListenV1Metadata", { type: "Results" }),
      /must be equal to one/,
    );
    assert.throws(() => assertSchema("openapi", "ListenV1Response", { metadata: {} }), /must have required/);
  });

  test("20 concurrent sessions each get only their own tagged results", TIMEOUT, async () => {
    const sessions = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const raw = await openRaw(fake, {
          model: "nova-3",
          encoding: "linear16",
          sample_rate: "16000",
          tag: `s${i}`,
        });
        return { i, raw, frames: 2 + (i % 5) };
      }),
    );
    await Promise.all(
      sessions.map(async ({ raw, frames }) => {
        for (let f = 0; f < frames; f += 1) raw.ws.send(Buffer.alloc(FRAME_BYTES, f));
        await raw.messages.until((items) => results(items).length === frames);
        raw.ws.send(JSON.stringify({ type: "CloseStream" }));
        assert.equal((await raw.closed).code, 1000);
      }),
    );
    const ids = new Set<string>();
    for (const { i, raw, frames } of sessions) {
      const connection = fake.live.find((c) => c.query.tag === `s${i}`) as LiveConnection;
      assert.ok(connection, `session s${i} reached the fake`);
      ids.add(connection.id);
      assert.equal(connection.frames, frames);
      const messages = raw.messages.items;
      const flushed = frames % 2; // CloseStream first flushes an odd last frame as a final Results
      assert.equal(messages.length, frames + flushed + 1);
      for (const message of results(messages)) assert.equal(message.metadata.request_id, connection.id);
      assert.equal(results(messages).at(-1)?.is_final, true);
      const metadata = messages.at(-1) as unknown as Metadata;
      assert.equal(metadata.request_id, connection.id);
      near(metadata.duration, (frames * FRAME_BYTES) / 32000, `s${i} duration`);
    }
    assert.equal(ids.size, 20, "every session had its own id");
  });
});
