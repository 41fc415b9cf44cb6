/**
 * @module test/support/test-audio
 * Test audio synthesized at test time (linear16 sine PCM, WAV wrapping, frame chunking) and a WAV header reader.
 */

export interface SineOptions {
  /** Length of the audio; rounded to a whole number of samples. */
  readonly seconds: number;
  /** Samples per second, default 16000. */
  readonly sampleRate?: number;
  /** Tone frequency in Hz, default 440. */
  readonly frequency?: number;
  /** Peak amplitude as a fraction of full scale, default 0.5. */
  readonly amplitude?: number;
}

/** Mono linear16 (signed 16-bit little-endian) PCM of a sine tone: `round(seconds * sampleRate) * 2` bytes. */
export function pcm16Sine({
  seconds,
  sampleRate = 16000,
  frequency = 440,
  amplitude = 0.5,
}: SineOptions): Buffer {
  if (!(seconds >= 0) || !Number.isFinite(seconds))
    throw new RangeError(`seconds must be >= 0, got ${seconds}`);
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new RangeError(`bad sampleRate ${sampleRate}`);
  const samples = Math.round(seconds * sampleRate);
  const pcm = Buffer.alloc(samples * 2);
  const peak = Math.max(0, Math.min(1, amplitude)) * 32767;
  for (let i = 0; i < samples; i += 1) {
    pcm.writeInt16LE(Math.round(peak * Math.sin((2 * Math.PI * frequency * i) / sampleRate)), i * 2);
  }
  return pcm;
}

/** Size of the canonical header `wav` writes (RIFF + fmt + data chunk headers). */
export const WAV_HEADER_BYTES = 44;

/** Wraps linear16 PCM in a canonical RIFF/WAVE container (PCM format 1, 16 bits per sample). */
export function wav(pcm: Buffer, sampleRate: number, channels = 1): Buffer {
  const blockAlign = channels * 2;
  if (pcm.length % blockAlign !== 0) throw new RangeError(`PCM length ${pcm.length} is not whole frames`);
  const header = Buffer.alloc(WAV_HEADER_BYTES);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write("WAVE", 8, "ascii");
  header.write("fmt ", 12, "ascii");
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * blockAlign, 28); // byte rate
  header.writeUInt16LE(blockAlign, 32);
  header.writeUInt16LE(16, 34); // bits per sample
  header.write("data", 36, "ascii");
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}

/** Consecutive views of `buffer`, each `bytesPerChunk` long except possibly the last (no copies). */
export function chunks(buffer: Buffer, bytesPerChunk: number): Buffer[] {
  if (!Number.isInteger(bytesPerChunk) || bytesPerChunk <= 0) {
    throw new RangeError(`bytesPerChunk must be a positive integer, got ${bytesPerChunk}`);
  }
  const out: Buffer[] = [];
  for (let at = 0; at < buffer.length; at += bytesPerChunk) out.push(buffer.subarray(at, at + bytesPerChunk));
  return out;
}

export interface WavHeader {
  readonly sampleRate: number;
  readonly channels: number;
  readonly bitsPerSample: number;
  /** Offset of the first audio byte. */
  readonly dataOffset: number;
  /** Size the data chunk declares (may be 0 or 0xffffffff for streamed WAV). */
  readonly dataBytes: number;
}

/**
 * Reads a RIFF/WAVE header from the first bytes of a file; null when `prefix` is not WAV or the
 * header (up to the data chunk) is not entirely inside `prefix`.
 */
export function readWavHeader(prefix: Buffer): WavHeader | null {
  if (
    prefix.length < 12 ||
    prefix.toString("ascii", 0, 4) !== "RIFF" ||
    prefix.toString("ascii", 8, 12) !== "WAVE"
  ) {
    return null;
  }
  let format: { channels: number; sampleRate: number; bitsPerSample: number } | null = null;
  let at = 12;
  while (at + 8 <= prefix.length) {
    const id = prefix.toString("ascii", at, at + 4);
    const size = prefix.readUInt32LE(at + 4);
    if (id === "data") {
      return format ? { ...format, dataOffset: at + 8, dataBytes: size } : null;
    }
    if (id === "fmt ") {
      if (at + 8 + 16 > prefix.length) return null;
      format = {
        channels: prefix.readUInt16LE(at + 10),
        sampleRate: prefix.readUInt32LE(at + 12),
        bitsPerSample: prefix.readUInt16LE(at + 22),
      };
    }
    at += 8 + size + (size % 2);
  }
  return null;
}
