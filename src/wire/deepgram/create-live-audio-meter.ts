/**
 * @module wire/deepgram/create-live-audio-meter
 * The gateway's own measure of a live session's audio, from the bytes it relayed upstream: raw audio at the
 * rate its `encoding`, `sample_rate` and `channels` give, WAV at its header's byte rate (the lower of the two
 * when a stream declared raw opens with a WAV header: either may be what the provider decodes), anything
 * else at a configured conservative rate (a lower bound on the duration of any stream at or below that bitrate).
 */
import { parseWavHeader } from "./parse-wav-header.ts";

/** Bytes per sample of the raw encodings whose rate follows from the query. */
const SAMPLE_BYTES: Readonly<Record<string, number>> = { linear16: 2, linear32: 4, mulaw: 1, alaw: 1 };

/**
 * Fixed-bitrate codecs at their highest mode, framing included (bytes per second): their duration is at
 * least bytes / this. Opus, Ogg-Opus, FLAC and containers other than WAV use the configured fallback rate.
 */
const CODEC_BYTES_PER_SECOND: Readonly<Record<string, number>> = {
  g729: 1_000, // 8 kbit/s
  "amr-nb": 1_600, // 12.2 kbit/s, 32-byte frames every 20 ms
  "amr-wb": 3_200, // 23.85 kbit/s, 62-byte frames every 20 ms, rounded up
  speex: 5_600, // 44.2 kbit/s (ultra-wideband, quality 10), rounded up
};

/** How much of a stream's start is kept to find a WAV header split over several frames. */
const PREFIX_LIMIT = 4096;

export interface LiveAudioMeter {
  /** Counts one binary frame relayed upstream. */
  add(frame: Buffer): void;
  /** Seconds of audio relayed so far (a floor: never more than the sound the bytes can hold). */
  seconds(): number;
  /** How the rate was found, for the docs and tests: `query`, `codec`, `wav` or `fallback` (null before any audio). */
  readonly basis: "query" | "codec" | "wav" | "fallback" | null;
}

const positiveInt = (value: string | null): number | null =>
  value !== null && /^[1-9]\d{0,8}$/.test(value) ? Number(value) : null;

export function createLiveAudioMeter(query: URLSearchParams, fallbackBytesPerSecond: number): LiveAudioMeter {
  const encoding = query.get("encoding")?.toLowerCase() ?? null;
  const sampleRate = positiveInt(query.get("sample_rate"));
  const channels = positiveInt(query.get("channels")) ?? 1;
  const sampleBytes = encoding === null ? undefined : SAMPLE_BYTES[encoding];
  const codecRate = encoding === null ? undefined : CODEC_BYTES_PER_SECOND[encoding];

  let basis: LiveAudioMeter["basis"] = null;
  let rate = 0;
  let headerBytes = 0;
  let bytes = 0;
  let prefix: Buffer | null = null;
  let sniffing = true; // the stream's first bytes are still read for a WAV header

  if (sampleBytes !== undefined && sampleRate !== null) {
    basis = "query";
    rate = sampleBytes * sampleRate * channels;
  } else if (codecRate !== undefined) {
    basis = "codec";
    rate = codecRate;
  }

  /**
   * Reads the stream's start for a WAV header: its rate when lower than the query's (or the query gave
   * none), its header not counted; a stream with no rate yet and no WAV header gets the fallback.
   */
  function sniff(frame: Buffer): void {
    prefix =
      prefix === null
        ? frame.subarray(0, PREFIX_LIMIT)
        : Buffer.concat([prefix, frame]).subarray(0, PREFIX_LIMIT);
    const wav = parseWavHeader(prefix);
    if (wav !== null) {
      if (rate === 0 || wav.byteRate < rate) {
        basis = "wav";
        rate = wav.byteRate;
      }
      headerBytes = wav.dataOffset;
    } else if (prefix.length >= PREFIX_LIMIT || !isWavStart(prefix)) {
      if (rate === 0) {
        basis = "fallback";
        rate = fallbackBytesPerSecond;
      }
    } else return; // a WAV header still arriving
    sniffing = false;
    prefix = null;
  }

  return {
    add(frame) {
      bytes += frame.length;
      if (sniffing) sniff(frame);
    },
    seconds() {
      if (rate === 0) return bytes / fallbackBytesPerSecond; // an unfinished header: the fallback meanwhile
      return Math.max(0, bytes - headerBytes) / rate;
    },
    get basis() {
      return basis;
    },
  };
}

/** A stream that may still turn out to be WAV: its first bytes agree with "RIFF….WAVE". */
function isWavStart(prefix: Buffer): boolean {
  const riff = Buffer.from("RIFF");
  const head = prefix.subarray(0, 4);
  if (!riff.subarray(0, head.length).equals(head)) return false;
  if (prefix.length <= 8) return true;
  const wave = Buffer.from("WAVE");
  const tag = prefix.subarray(8, 12);
  return wave.subarray(0, tag.length).equals(tag);
}
