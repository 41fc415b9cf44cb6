/**
 * @module wire/deepgram/check-audio-format-query
 * The audio format a listen query declares (`encoding`, `sample_rate`, `channels`) read one way only: each at
 * most once, spelled in lowercase, with a canonical value (a documented encoding; a plain integer in range).
 */
import { GatewayError } from "../../errors/gateway-error.ts";

/** Deepgram's documented encodings for `/v1/listen` (ListenV1Encoding), spelled as documented. */
export const LISTEN_ENCODINGS: ReadonlySet<string> = new Set([
  "linear16",
  "linear32",
  "flac",
  "alaw",
  "mulaw",
  "amr-nb",
  "amr-wb",
  "opus",
  "ogg-opus",
  "speex",
  "g729",
]);

/** The highest `sample_rate` accepted (Hz): the same ceiling a WAV header is believed for. */
export const MAX_SAMPLE_RATE = 768_000;
/** The most `channels` accepted: the same ceiling a WAV header is believed for. */
export const MAX_CHANNELS = 32;

const FORMAT_PARAMS = ["encoding", "sample_rate", "channels"] as const;
type FormatParam = (typeof FORMAT_PARAMS)[number];

/** A positive integer written plainly (no sign, no leading zero, no fraction, no exponent), up to `max`. */
function isCanonicalInt(value: string, max: number): boolean {
  return /^[1-9]\d{0,8}$/.test(value) && Number(value) <= max;
}

function refuse(param: FormatParam, message: string): never {
  throw new GatewayError("invalid_request", { message, param });
}

function checkValue(name: FormatParam, value: string): void {
  if (name === "encoding") {
    if (!LISTEN_ENCODINGS.has(value))
      refuse(
        name,
        `\`encoding\` must be ${[...LISTEN_ENCODINGS].join(", ").replace(/, (?=[^,]*$)/, " or ")}.`,
      );
  } else if (name === "sample_rate") {
    if (!isCanonicalInt(value, MAX_SAMPLE_RATE))
      refuse(name, `\`sample_rate\` must be an integer from 1 to ${MAX_SAMPLE_RATE}, written plainly.`);
  } else if (!isCanonicalInt(value, MAX_CHANNELS)) {
    refuse(name, `\`channels\` must be an integer from 1 to ${MAX_CHANNELS}, written plainly.`);
  }
}

/**
 * Refuses a query whose audio format could be read two ways (the gateway meters the audio from it, the
 * provider decodes it): a format parameter given twice or in another case, or a value not in canonical form.
 */
export function checkAudioFormatQuery(query: URLSearchParams): void {
  const seen = new Set<string>();
  for (const [name, value] of query) {
    const lower = name.toLowerCase();
    const format = FORMAT_PARAMS.find((known) => known === lower);
    if (format === undefined) continue;
    if (name !== format) refuse(format, `\`${format}\` must be spelled in lowercase.`);
    if (seen.has(format)) refuse(format, `\`${format}\` may be given only once.`);
    seen.add(format);
    checkValue(format, value);
  }
}
