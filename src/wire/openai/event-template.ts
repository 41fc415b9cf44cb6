/**
 * @module wire/openai/event-template
 * The shape of one SSE event learned as bytes: fixed runs, and the string values of a few keys (the text a
 * chunk carries) left open. An event matches when its bytes equal every fixed run and each open string ends
 * where the next run starts: the same keys, order, numbers and other values, checked without parsing. Learned
 * from an event that parsed, a match is valid JSON too (each open string is checked to be a JSON string, each
 * open integer, e.g. a Responses event's `sequence_number`, to be a JSON integer).
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const ZERO = 0x30;
const NINE = 0x39;
/** The longest fixed run compared byte by byte (a native compare costs more below it). */
const SHORT_RUN = 48;
/** The most digits an open integer may hold (a safe integer). */
const MAX_DIGITS = 15;

/**
 * Fixed bytes, an open string value (`null`: its body, between the quotes that the fixed runs hold), or an
 * open non-negative integer (`0`: its digits).
 */
type Segment = Buffer | null | 0;

export interface EventTemplate {
  matches(event: Buffer): boolean;
}

/** Where the JSON string whose body starts at `from` ends (its closing quote), or -1. */
function stringEnd(bytes: Uint8Array, from: number): number {
  for (let index = from; index < bytes.length; index++) {
    const byte = bytes[index];
    if (byte === BACKSLASH) index++;
    else if (byte === QUOTE) return index;
  }
  return -1;
}

/** `"\/bfnrt`: what may follow a backslash in a JSON string, `u` aside. */
const SHORT_ESCAPES = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);
const isHex = (byte: number | undefined): boolean =>
  byte !== undefined &&
  ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66));

/**
 * Where the JSON string whose body starts at `from` ends, or -1 when it does not close or its body is no
 * valid JSON string (a raw control character, an unknown escape): an open value of a template that
 * matches keeps the event valid JSON.
 */
function validStringEnd(bytes: Uint8Array, from: number): number {
  for (let index = from; index < bytes.length; index++) {
    const byte = bytes[index]!;
    if (byte === QUOTE) return index;
    if (byte < 0x20) return -1;
    if (byte !== BACKSLASH) continue;
    const escaped = bytes[++index];
    if (escaped === 0x75) {
      for (let digit = 0; digit < 4; digit++) if (!isHex(bytes[++index])) return -1;
    } else if (escaped === undefined || !SHORT_ESCAPES.has(escaped)) return -1;
  }
  return -1;
}

/** Where the JSON integer (non-negative, no leading zero, at most MAX_DIGITS digits) at `from` ends, or -1. */
function integerEnd(bytes: Uint8Array, from: number): number {
  const first = bytes[from];
  if (first === undefined || first < ZERO || first > NINE) return -1;
  if (first === ZERO) return from + 1;
  let index = from + 1;
  for (; index < bytes.length && bytes[index]! >= ZERO && bytes[index]! <= NINE; index++)
    if (index - from === MAX_DIGITS) return -1;
  return index;
}

/** Whether the string body `[from, to)` equals `name`. */
function isName(bytes: Uint8Array, from: number, to: number, name: Buffer): boolean {
  if (to - from !== name.length) return false;
  for (let index = 0; index < name.length; index++) if (bytes[from + index] !== name[index]) return false;
  return true;
}

/**
 * The template of `event` (a one-line JSON event that parsed, copied), the string values of `openKeys` and
 * the integer values of `openIntegerKeys` (written right after the colon) left open; null when its strings
 * do not close.
 */
export function learnEventTemplate(
  event: Buffer,
  openKeys: readonly Buffer[],
  openIntegerKeys: readonly Buffer[] = [],
): EventTemplate | null {
  const segments: Segment[] = [];
  let fixedFrom = 0;
  let lastKeyOpen = false;
  for (let index = 0; index < event.length; index++) {
    if (event[index] !== QUOTE) continue;
    const end = stringEnd(event, index + 1);
    if (end === -1) return null;
    if (event[end + 1] === COLON) {
      lastKeyOpen = openKeys.some((key) => isName(event, index + 1, end, key));
      const digitsEnd = openIntegerKeys.some((key) => isName(event, index + 1, end, key))
        ? integerEnd(event, end + 2)
        : -1;
      if (digitsEnd !== -1) {
        segments.push(Buffer.from(event.subarray(fixedFrom, end + 2)), 0);
        fixedFrom = digitsEnd;
        index = digitsEnd - 1;
        continue;
      }
    } else if (lastKeyOpen) {
      segments.push(Buffer.from(event.subarray(fixedFrom, index + 1)), null);
      fixedFrom = end;
      lastKeyOpen = false;
    }
    index = end;
  }
  segments.push(Buffer.from(event.subarray(fixedFrom)));
  return {
    matches(candidate) {
      let at = 0;
      for (const segment of segments) {
        if (segment === null || segment === 0) {
          at = segment === null ? validStringEnd(candidate, at) : integerEnd(candidate, at);
          if (at === -1) return false;
          continue;
        }
        const end = at + segment.length;
        if (end > candidate.length) return false;
        if (segment.length <= SHORT_RUN) {
          for (let index = 0; index < segment.length; index++)
            if (candidate[at + index] !== segment[index]) return false;
        } else if (candidate.compare(segment, 0, segment.length, at, end) !== 0) return false;
        at = end;
      }
      return at === candidate.length;
    },
  };
}
