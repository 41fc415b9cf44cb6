/**
 * @module wire/deepgram/parse-wav-header
 * The audio rate of a WAV stream from its first bytes: the RIFF header's `fmt ` chunk (byte rate, checked
 * against sample rate × channels × bits) and where its `data` chunk starts; null for anything else. A header
 * with several `fmt ` chunks gives the lowest of their rates (the most seconds its bytes can hold, whichever
 * chunk a decoder reads).
 */

export interface WavHeader {
  /** Bytes of audio per second of sound (all channels). */
  readonly byteRate: number;
  /** Bytes before the first audio sample (the header itself is not sound). */
  readonly dataOffset: number;
}

/** The highest rate a WAV header is believed for (768 kHz, 32 channels, 64-bit samples). */
const MAX_BYTE_RATE = 768_000 * 32 * 8;

export function parseWavHeader(prefix: Buffer): WavHeader | null {
  if (
    prefix.length < 12 ||
    prefix.toString("latin1", 0, 4) !== "RIFF" ||
    prefix.toString("latin1", 8, 12) !== "WAVE"
  )
    return null;
  let byteRate: number | null = null;
  let offset = 12;
  while (offset + 8 <= prefix.length) {
    const id = prefix.toString("latin1", offset, offset + 4);
    const size = prefix.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === "data") return byteRate === null ? null : { byteRate, dataOffset: body };
    if (id === "fmt ") {
      if (size < 16 || body + 16 > prefix.length) return null;
      const channels = prefix.readUInt16LE(body + 2);
      const sampleRate = prefix.readUInt32LE(body + 4);
      const rate = prefix.readUInt32LE(body + 8);
      const bits = prefix.readUInt16LE(body + 14);
      const plausible = channels > 0 && sampleRate > 0 && bits > 0 && rate > 0 && rate <= MAX_BYTE_RATE;
      // A rate that disagrees with the format (PCM) is not believed; compressed WAV formats are left alone.
      if (!plausible || rate !== (sampleRate * channels * bits) / 8) return null;
      byteRate = byteRate === null ? rate : Math.min(byteRate, rate);
    }
    offset = body + size + (size % 2);
  }
  return null;
}
