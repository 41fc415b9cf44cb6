/**
 * @module wire/deepgram/read-listen-duration
 * Audio seconds as Deepgram reports them: `metadata.duration` of a prerecorded answer, and on a live
 * socket the end of the audio each `Results` covers (`start + duration`) and the closing `Metadata`'s duration.
 */

/**
 * The most audio seconds one reported duration may claim (about 116 days): far above any upload or session
 * the gateway admits, far below where sums lose precision (an upstream's `1e308` must not reach metering).
 */
export const MAX_AUDIO_SECONDS = 10_000_000;

/** A duration from 0 to `MAX_AUDIO_SECONDS`; anything else (negative, huge, not a number) is null. */
const finite = (value: unknown): number | null =>
  typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= MAX_AUDIO_SECONDS
    ? value
    : null;

/** `metadata.duration` of a prerecorded answer (null for a callback acknowledgement or a foreign shape). */
export function readPrerecordedDuration(body: unknown): number | null {
  if (typeof body !== "object" || body === null) return null;
  const metadata = (body as { metadata?: unknown }).metadata;
  if (typeof metadata !== "object" || metadata === null) return null;
  return finite((metadata as { duration?: unknown }).duration);
}

/** What a live server message says about the audio processed so far. */
export type LiveDuration =
  /** `Results`: audio up to `end` seconds has been transcribed. */
  | { readonly kind: "progress"; readonly end: number }
  /** `Metadata` (after `CloseStream`): the session's total audio. */
  | { readonly kind: "total"; readonly seconds: number }
  | null;

export function readLiveDuration(text: string): LiveDuration {
  // Only Results and Metadata count; a cheap look before parsing skips every other message.
  if (!text.includes('"Results"') && !text.includes('"Metadata"')) return null;
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof message !== "object" || message === null) return null;
  const { type, start, duration } = message as { type?: unknown; start?: unknown; duration?: unknown };
  if (type === "Results") {
    const from = finite(start);
    const length = finite(duration);
    return from === null || length === null ? null : { kind: "progress", end: from + length };
  }
  if (type === "Metadata") {
    const seconds = finite(duration);
    return seconds === null ? null : { kind: "total", seconds };
  }
  return null;
}
