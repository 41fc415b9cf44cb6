/**
 * @module wire/openai/create-sse-tap
 * A passthrough transform over any SSE stream, aligned on events: each complete event is forwarded as a
 * view of the received bytes (a chunk of whole events as the very Buffer received), unless the inspector
 * drops it, replaces it (an error event rewritten with keys redacted) or refuses it. Only a partial event
 * at a chunk's end waits, kept as a list of pieces whose end-of-event scan resumes where it stopped (each
 * byte scanned once, the event joined once when it completes: linear); it never grows past the event cap.
 */
import type { GatewayError } from "../../errors/gateway-error.ts";
import {
  createRelayTransform,
  type FailureEvent,
  type RelayStop,
  type RelayTransform,
} from "../create-relay-transform.ts";
import { eventTooLarge, MAX_SSE_EVENT_BYTES } from "./sse-event-check.ts";
import { createSseScanState, scanSseEvent, sseEventEnd } from "./sse-event-end.ts";

/** `keep` forwards the event's bytes, `drop` removes it, a string replaces it. */
export type SseEventVerdict = "keep" | "drop" | string;

export interface SseTapOptions {
  /**
   * Whether any event in a chunk could be dropped or rewritten (a cheap byte search); when none can, all
   * look conforming and the chunk holds whole events, it is forwarded before it is inspected.
   */
  readonly mayAlter?: (chunk: Buffer) => boolean;
  /** A cheap byte check: true when the event is surely valid for this dialect. */
  readonly looksConforming?: (event: Buffer) => boolean;
  /**
   * A cheap byte check: true when the inspector surely forwards the event unchanged (a stream normalizer
   * has nothing to repair); with `looksConforming` and `mayAlter`, what lets a chunk go before it is read.
   */
  readonly passesAsIs?: (event: Buffer) => boolean;
  /** The full check of an event the cheap one could not pass: null when valid, else the failure. */
  readonly checkEvent?: (event: Buffer) => GatewayError | null;
  /** The most bytes one event may hold (the partial event waiting included). */
  readonly maxEventBytes?: number;
  /** How a failure ends the stream in the client's dialect. */
  readonly failureEvent: FailureEvent;
}

const LF = 0x0a;
const TERMINATOR = Buffer.from("\n\n");

/**
 * A last event as received when the end of the stream completes it (a trailing CR), else closed with a
 * blank line so that SSE parsers dispatch it.
 */
function closed(last: Buffer): Buffer {
  const atEnd = Buffer.concat([last, TERMINATOR.subarray(0, 1)]);
  return sseEventEnd(atEnd, 0) === atEnd.length ? last : Buffer.concat([last, TERMINATOR]);
}

/**
 * Reads one whole event. `cleared` is true when the tap already knows it is conforming in a chunk that
 * `mayAlter` cleared (already forwarded): the inspector then only reads it, with no check to repeat.
 */
export type SseInspector = (event: Buffer, cleared: boolean) => SseEventVerdict;

export function createSseTap(inspect: SseInspector, options: SseTapOptions): RelayTransform {
  const mayAlter = options.mayAlter ?? (() => true);
  const looksConforming = options.looksConforming ?? (() => true);
  const checkEvent = options.checkEvent ?? (() => null);
  const passesAsIs = options.passesAsIs ?? (() => true);
  const maxEventBytes = options.maxEventBytes ?? MAX_SSE_EVENT_BYTES;
  /** The partial event waiting for its end: its pieces, their size, and where its scan stopped. */
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const scan = createSseScanState();

  /** The event's failure, or null when it may be forwarded. */
  const refuse = (event: Buffer): GatewayError | null => {
    if (event.length > maxEventBytes) return eventTooLarge(maxEventBytes);
    return looksConforming(event) ? null : checkEvent(event);
  };

  /** The ends of a chunk of whole events, all within the cap and conforming; null when not so. */
  const wholeConformingEvents = (chunk: Buffer): number[] | null => {
    const ends: number[] = [];
    let start = 0;
    for (let end = sseEventEnd(chunk, 0); end !== -1; start = end, end = sseEventEnd(chunk, start)) {
      const event = chunk.subarray(start, end);
      if (event.length > maxEventBytes || !looksConforming(event) || !passesAsIs(event)) return null;
      ends.push(end);
    }
    return start === chunk.length ? ends : null;
  };

  /** One whole event: forwarded, replaced or dropped; its failure when it is refused. */
  const relayEvent = (event: Buffer, push: (piece: Buffer | string) => void): GatewayError | null => {
    const failure = refuse(event);
    if (failure !== null) return failure;
    const verdict = inspect(event, false);
    if (verdict === "keep") push(event);
    else if (verdict !== "drop") push(verdict);
    return null;
  };

  /** Holds the bytes of a partial event (copied: a view would keep the whole chunk alive), within the cap. */
  const hold = (piece: Buffer, whole: boolean): RelayStop | null => {
    if (pendingBytes + piece.length > maxEventBytes) {
      pending = [];
      pendingBytes = 0;
      return { failure: eventTooLarge(maxEventBytes), written: false };
    }
    pending.push(whole ? piece : Buffer.from(piece));
    pendingBytes += piece.length;
    return null;
  };

  return createRelayTransform(
    {
      transform(chunk, push) {
        const length = chunk.length;
        let data = chunk;
        if (pendingBytes > 0 || scan.afterCr) {
          // The partial event's scan resumes in this chunk; its pieces are joined once, when it ends.
          const end = scanSseEvent(chunk, 0, scan);
          if (end === -1) return hold(chunk, true);
          const event = Buffer.concat([...pending, chunk.subarray(0, end)]);
          pending = [];
          pendingBytes = 0;
          const failure = relayEvent(event, push);
          if (failure !== null) return { failure, written: false };
          if (end === length) return null;
          data = chunk.subarray(end);
        } else if (length > 1 && chunk[length - 1] === LF && chunk[length - 2] === LF) {
          const ends = mayAlter(chunk) ? null : wholeConformingEvents(chunk);
          if (ends !== null) {
            push(chunk); // whole events nobody will change: forward first, read after
            let start = 0;
            for (const end of ends) {
              inspect(chunk.subarray(start, end), true);
              start = end;
            }
            return null;
          }
        }
        const out: Array<Buffer | string> = [];
        let start = 0;
        let keptFrom = 0;
        let changed = false;
        let failure: GatewayError | null = null;
        let end = scanSseEvent(data, 0, scan);
        for (; end !== -1; end = scanSseEvent(data, start, scan)) {
          const event = data.subarray(start, end);
          failure = refuse(event);
          if (failure !== null) break;
          const verdict = inspect(event, false);
          if (verdict !== "keep") {
            changed = true;
            if (start > keptFrom) out.push(data.subarray(keptFrom, start));
            if (verdict !== "drop") out.push(verdict);
            keptFrom = end;
          }
          start = end;
        }
        if (failure === null && !changed && start === data.length && data === chunk) {
          push(chunk); // whole events, untouched: the very Buffer received
          return null;
        }
        if (start > keptFrom) out.push(data.subarray(keptFrom, start));
        for (const piece of out) push(piece);
        if (failure !== null) return { failure, written: false };
        // The scan of the partial event at the end stopped in `scan`: only its bytes are held.
        return start < data.length ? hold(data.subarray(start), false) : null;
      },
      flush(push) {
        const last = Buffer.concat(pending);
        pending = [];
        pendingBytes = 0;
        if (last.length === 0) return null;
        // A last event without its blank line (lenient): checked like any other.
        const failure = refuse(last);
        if (failure !== null) return { failure, written: false };
        const verdict = inspect(last, false);
        if (verdict === "keep") push(closed(last));
        else if (verdict !== "drop") push(verdict);
        return null;
      },
      fail() {
        pending = []; // a partial event is dropped, never glued to the error event
        pendingBytes = 0;
        return null;
      },
    },
    options.failureEvent,
  );
}

const ERROR = Buffer.from('"error"');
const ESCAPE = Buffer.from("\\u");

/** Bytes that may carry a provider's error text or hide a key behind a JSON escape (a cheap search). */
export function mayCarryError(bytes: Buffer): boolean {
  return bytes.indexOf(ERROR) !== -1 || bytes.indexOf(ESCAPE) !== -1;
}
