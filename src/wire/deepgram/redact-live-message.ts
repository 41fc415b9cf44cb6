/**
 * @module wire/deepgram/redact-live-message
 * What of Deepgram's live messages reaches the client: transcripts pass untouched (or, holding an escape or a
 * key, with the keys in play redacted), its own text (errors, warnings) has every key in play and key-shaped
 * token redacted from its decoded strings, and a binary frame is never relayed.
 */
import { parseUpstreamJson } from "../parse-upstream-json.ts";
import { redactJsonStrings } from "../redact-json-strings.ts";

const ESCAPE = Buffer.from("\\u");

/**
 * Results and Metadata (the bulk of the traffic) lead with their type and carry no provider text: such a
 * frame passes unparsed only when it also holds no `\u` escape (which could hide a key) and quotes no key
 * in play (`quotesKey`, one `indexOf` per key); anything else is parsed and redacted.
 */
const isTranscript = (data: Buffer): boolean => {
  const head = data.subarray(0, 48);
  return head.includes('"Results"') || head.includes('"Metadata"');
};

/** How a live message is redacted: transcripts of the keys in play, Deepgram's own text also of key-shaped tokens. */
export interface LiveRedaction {
  readonly content: (text: string) => string;
  readonly error: (text: string) => string;
  readonly quotesKey: (bytes: Uint8Array) => boolean;
}

/**
 * The frame to relay to the client, or null for none. Deepgram's live API sends only JSON text: a binary
 * frame is not its protocol, and its bytes could not be read to redact them. JSON (depth-checked) has its
 * decoded strings redacted, keys included, and is re-serialized only when something changed; any other
 * text is redacted as text.
 */
export function redactLiveMessage(data: Buffer, isBinary: boolean, redaction: LiveRedaction): Buffer | null {
  if (isBinary) return null;
  const transcript = isTranscript(data);
  if (transcript && data.indexOf(ESCAPE) === -1 && !redaction.quotesKey(data)) return data;
  const redact = transcript ? redaction.content : redaction.error;
  const text = data.toString("utf8");
  const parsed = parseUpstreamJson(text);
  if (parsed.ok) {
    const redacted = redactJsonStrings(parsed.value, redact);
    return redacted.changed ? Buffer.from(JSON.stringify(redacted.value), "utf8") : data;
  }
  const clean = redact(text);
  return clean === text ? data : Buffer.from(clean, "utf8");
}
