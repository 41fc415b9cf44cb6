/**
 * @module test/wire/live-audio-meter.test
 * The gateway's own measure of live audio: raw encodings at their query rate, WAV at its header's rate
 * (header bytes not counted, a header split over frames), codecs and unknown streams at a floor rate;
 * a seeded property: however a stream is cut into frames, the measure is the same.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { createLiveAudioMeter } from "../../src/wire/deepgram/create-live-audio-meter.ts";
import { parseWavHeader } from "../../src/wire/deepgram/parse-wav-header.ts";
import { pcm16Sine, WAV_HEADER_BYTES, wav } from "../support/test-audio.ts";

const FALLBACK = 32_000;
const SEED = 19;

const meterOf = (query: Record<string, string>) => createLiveAudioMeter(new URLSearchParams(query), FALLBACK);

test("raw encodings are measured at encoding × sample_rate × channels", () => {
  const cases: Array<[Record<string, string>, number]> = [
    [{ encoding: "linear16", sample_rate: "16000" }, 32_000],
    [{ encoding: "linear16", sample_rate: "48000", channels: "2" }, 192_000],
    [{ encoding: "linear32", sample_rate: "8000" }, 32_000],
    [{ encoding: "mulaw", sample_rate: "8000" }, 8_000],
    [{ encoding: "ALAW", sample_rate: "8000" }, 8_000],
  ];
  for (const [query, rate] of cases) {
    const meter = meterOf(query);
    meter.add(Buffer.alloc(rate / 2));
    assert.equal(meter.seconds(), 0.5, JSON.stringify(query));
    assert.equal(meter.basis, "query");
  }
});

test("fixed-bitrate codecs at their highest rate; others and a missing sample_rate at the fallback", () => {
  const g729 = meterOf({ encoding: "g729", sample_rate: "8000" });
  g729.add(Buffer.alloc(1000));
  assert.equal(g729.seconds(), 1);
  assert.equal(g729.basis, "codec");
  const queries: Array<Record<string, string>> = [
    { encoding: "opus", sample_rate: "48000" },
    { encoding: "linear16" },
    {},
    { sample_rate: "x" },
  ];
  for (const query of queries) {
    const meter = meterOf(query);
    meter.add(Buffer.alloc(FALLBACK * 2));
    assert.equal(meter.seconds(), 2, JSON.stringify(query));
    assert.equal(meter.basis, "fallback");
  }
});

test("WAV: its header's byte rate, the header not counted, even split over frames", () => {
  const file = wav(pcm16Sine({ seconds: 1.5, sampleRate: 8000 }), 8000, 2);
  const header = parseWavHeader(file);
  assert.deepEqual(header, { byteRate: 8000 * 2 * 2, dataOffset: WAV_HEADER_BYTES });
  const meter = meterOf({});
  for (let at = 0; at < file.length; at += 7) meter.add(file.subarray(at, at + 7));
  assert.equal(meter.basis, "wav");
  assert.equal(meter.seconds(), (file.length - WAV_HEADER_BYTES) / 32_000);
  // A header whose byte rate disagrees with its format is not believed.
  const lying = Buffer.from(file);
  lying.writeUInt32LE(1_000_000_000, 28);
  assert.equal(parseWavHeader(lying), null);
  const fallback = meterOf({});
  fallback.add(lying);
  assert.equal(fallback.basis, "fallback");
});

test("WAV with several fmt chunks: the lowest of their rates (review 5)", () => {
  const audio = Buffer.alloc(32_000 * 60); // 60 s of 16 kHz mono linear16
  const fmt = (sampleRate: number, channels: number, bits: number) => {
    const chunk = Buffer.alloc(24);
    chunk.write("fmt ", 0, "latin1");
    chunk.writeUInt32LE(16, 4);
    chunk.writeUInt16LE(1, 8);
    chunk.writeUInt16LE(channels, 10);
    chunk.writeUInt32LE(sampleRate, 12);
    chunk.writeUInt32LE((sampleRate * channels * bits) / 8, 16);
    chunk.writeUInt16LE((channels * bits) / 8, 20);
    chunk.writeUInt16LE(bits, 22);
    return chunk;
  };
  const data = Buffer.alloc(8);
  data.write("data", 0, "latin1");
  data.writeUInt32LE(audio.length, 4);
  const header = (...chunks: Buffer[]) => {
    const body = Buffer.concat([Buffer.from("WAVE"), ...chunks, data]);
    const riff = Buffer.alloc(8);
    riff.write("RIFF", 0, "latin1");
    riff.writeUInt32LE(body.length + audio.length, 4);
    return Buffer.concat([riff, body]);
  };
  const honest = fmt(16_000, 1, 16);
  const huge = fmt(768_000, 32, 64); // the highest rate a single header is believed for
  for (const [name, head] of [
    ["honest first, huge second", header(honest, huge)],
    ["huge first, honest second", header(huge, honest)],
  ] as const) {
    assert.equal(parseWavHeader(head)?.byteRate, 32_000, name);
    const meter = meterOf({});
    meter.add(head);
    for (let at = 0; at < audio.length; at += 3200) meter.add(audio.subarray(at, at + 3200));
    assert.equal(meter.basis, "wav", name);
    assert.equal(meter.seconds(), 60, name);
  }
});

test("a stream declared raw that opens with a WAV header: the lower of the two rates (review 5)", () => {
  // The query says 48 kHz linear16 (96,000 B/s); the header says 8 kHz mono (16,000 B/s). A provider
  // that believes the header decodes six times the seconds the query's rate gives.
  const file = wav(pcm16Sine({ seconds: 3, sampleRate: 8000 }), 8000);
  const lower = meterOf({ encoding: "linear16", sample_rate: "48000" });
  for (let at = 0; at < file.length; at += 1000) lower.add(file.subarray(at, at + 1000));
  assert.equal(lower.basis, "wav");
  assert.equal(lower.seconds(), 3);
  // A header at a higher rate than the query's does not lower the measure (only its bytes are not audio).
  const higher = meterOf({ encoding: "linear16", sample_rate: "8000" });
  higher.add(wav(pcm16Sine({ seconds: 1, sampleRate: 48_000 }), 48_000));
  assert.equal(higher.basis, "query");
  assert.equal(higher.seconds(), 6);
});

test("property: the measure does not depend on how the stream is cut into frames (seeded)", () => {
  const formats = fc.constantFrom<Record<string, string>>(
    { encoding: "linear16", sample_rate: "16000" },
    { encoding: "mulaw", sample_rate: "8000", channels: "2" },
    {},
  );
  fc.assert(
    fc.property(
      formats,
      fc.boolean(),
      fc.array(fc.integer({ min: 1, max: 3000 }), { maxLength: 40 }),
      (query, isWav, cuts) => {
        const audio = pcm16Sine({ seconds: 0.2, sampleRate: 8000 });
        const stream = isWav ? wav(audio, 8000) : audio;
        const whole = meterOf(query);
        whole.add(stream);
        const framed = meterOf(query);
        let at = 0;
        for (const size of cuts) {
          if (at >= stream.length) break;
          framed.add(stream.subarray(at, at + size));
          at += size;
        }
        if (at < stream.length) framed.add(stream.subarray(at));
        assert.equal(framed.seconds(), whole.seconds());
        assert.ok(whole.seconds() > 0);
      },
    ),
    { seed: SEED, numRuns: 200, interruptAfterTimeLimit: 30_000, markInterruptAsFailure: true },
  );
});
