/**
 * @module wire/redact-sse-event
 * Redaction of one SSE event decided from its parsed shape, not a byte search: its data is parsed and
 * every decoded string redacted (keys included), its event name and other lines redacted as text. An error
 * event (named `error`, data that is not JSON, an error payload, a `finish_reason` of `"error"`, or data the
 * dialect's `isContent` rejects) gets `redactError` (key-shaped tokens too), as does the subtree under an
 * `error` member at any depth; the rest of content gets `redact` (the keys in play only). When something changed, the event is rewritten as
 * its `event:` line (if any) and one `data:` line of the re-serialized JSON (comments and `id:` lines
 * dropped); else the caller keeps the original bytes.
 */
import { isErrorText } from "./is-error-payload.ts";
import { parseUpstreamJson } from "./parse-upstream-json.ts";
import { redactJsonStrings } from "./redact-json-strings.ts";

const decoder = new TextDecoder();

/** The redacted event (an empty string: nothing left to send), or null when nothing changed. */
export function redactSseEvent(
  event: Uint8Array,
  redactContent: (text: string) => string,
  redactError: (text: string) => string = redactContent,
  isContent: (value: unknown) => boolean = () => true,
): string | null {
  let changed = false;
  let name: string | null = null;
  let data: string | null = null;
  const others: string[] = [];
  for (const line of decoder.decode(event).split(/\r\n|\r|\n/)) {
    if (line === "") continue;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    const value =
      colon === -1 ? "" : line.charCodeAt(colon + 1) === 0x20 ? line.slice(colon + 2) : line.slice(colon + 1);
    if (field === "data") data = data === null ? value : `${data}\n${value}`;
    else if (field === "event") name = value;
    else others.push(line);
  }
  const parsed = data === null ? null : parseUpstreamJson(data);
  const redact =
    name === "error" || (parsed !== null && (!parsed.ok || isErrorText(parsed.value, isContent)))
      ? redactError
      : redactContent;
  for (const line of others) if (redact(line) !== line) changed = true; // a comment or other field quoting a key: dropped
  if (name !== null) {
    const clean = redact(name).replace(/[\r\n]/g, "");
    if (clean !== name) changed = true;
    name = clean;
  }
  if (data !== null && parsed !== null) {
    if (parsed.ok) {
      const redacted = redactJsonStrings(parsed.value, redact, redactError);
      if (redacted.changed) {
        changed = true;
        data = JSON.stringify(redacted.value);
      }
    } else {
      const clean = redact(data);
      if (clean !== data) changed = true;
      data = clean;
    }
  }
  if (!changed) return null;
  const lines: string[] = [];
  if (name !== null) lines.push(`event: ${name}`);
  if (data !== null) for (const line of data.split(/\r\n|\r|\n/)) lines.push(`data: ${line}`);
  return lines.length === 0 ? "" : `${lines.join("\n")}\n\n`;
}
