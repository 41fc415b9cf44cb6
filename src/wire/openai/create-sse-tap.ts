/**
 * @module wire/openai/create-sse-tap
 * A passthrough transform over any SSE stream, aligned on events: each complete event is forwarded as a
 * view of the received bytes (a chunk of whole events as the very Buffer received), unless the inspector
 * drops it, replaces it (an error event rewritten with keys redacted) or refuses it. Only a partial event
 * at a chunk's end waits, kept as a list of pieces whose end-of-event scan resumes where it stopped (each
 * byte scanned once, the event joined once when it completes: linear); it never grows past the event cap.
 * A run of data-less events (blank lines, comments, `id`/`event`/`retry` lines) goes out unread when none
 * may be altered, one cut by a chunk boundary too once joined; data-less events in a row, and those read the
 * slow way, are bounded (sse-dataless-run.ts). A leading byte order mark is removed (sse-leading-bom.ts).
 */
import type { GatewayError } from "../../errors/gateway-error.ts";
import {
  createRelayTransform,
  type FailureEvent,
  type RelayStop,
  type RelayTransform,
} from "../create-relay-transform.ts";
import type { AlterationSearch } from "./create-alteration-search.ts";
import {
  carriesData,
  countDataEvent,
  countEvent,
  createDatalessRun,
  skipDatalessEvent,
  skipDatalessRun,
  tooManyDataless,
} from "./sse-dataless-run.ts";
import { eventTooLarge, MAX_SSE_EVENT_BYTES } from "./sse-event-check.ts";
import { createSseScanState, scanSseEvent, sseEventEnd } from "./sse-event-end.ts";
import { createLeadingBom } from "./sse-leading-bom.ts";

/** `keep` forwards the event's bytes, `drop` removes it, a string replaces it. */
export type SseEventVerdict = "keep" | "drop" | string;

export interface SseTapOptions {
  /**
   * Where in a chunk an event may first be dropped or rewritten (create-alteration-search.ts): an event
   * before that offset that looks conforming and passes as is is cleared, forwarded before it is read.
   * By default every event may be.
   */
  readonly alterations?: AlterationSearch;
  /**
   * A cheap byte check: true when the event is surely valid for this dialect. `oneLine`: the tap knows the
   * event is one line without a CR, then its blank line.
   */
  readonly looksConforming?: (event: Buffer, oneLine?: boolean) => boolean;
  /**
   * A cheap byte check: true when the inspector surely forwards the event unchanged (a stream normalizer
   * has nothing to repair); with `looksConforming` and `alterations`, what lets an event go before it is read.
   */
  readonly passesAsIs?: (event: Buffer) => boolean;
  /**
   * Whether the byte checks alone cannot prove an event valid: an event that looks conforming then skips
   * its full check only when `passesAsIs` also clears it (that check proves it valid JSON), else it is
   * checked in full before it is inspected, like one that does not look conforming.
   */
  readonly checksUnpassed?: boolean;
  /** The full check of an event the cheap one could not pass: null when valid, else the failure. */
  readonly checkEvent?: (event: Buffer) => GatewayError | null;
  /** The most bytes one event may hold (the partial event waiting included). */
  readonly maxEventBytes?: number;
  /** How a failure ends the stream in the client's dialect. */
  readonly failureEvent: FailureEvent;
  /**
   * Whether the answer is already whole (its terminal event relayed): a later cut or upstream failure then
   * ends the stream with nothing more written (the client has its answer; the call is still reported failed).
   */
  readonly answered?: () => boolean;
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
/** The first bytes of a data-less event's lines: a blank line, a comment, an `id`, `event` or `retry` field. */
const DATALESS_START = new Uint8Array(256);
for (const byte of [LF, CR, COLON, 0x69, 0x65, 0x72]) DATALESS_START[byte] = 1;
const TERMINATOR = Buffer.from("\n\n");
const EVERYWHERE = (): ((from: number) => number) => (from) => from;

/**
 * A last event as received when the end of the stream completes it (a trailing CR), else closed with a
 * blank line so that SSE parsers dispatch it.
 */
function closed(last: Buffer): Buffer {
  const atEnd = Buffer.concat([last, TERMINATOR.subarray(0, 1)]);
  return sseEventEnd(atEnd, 0) === atEnd.length ? last : Buffer.concat([last, TERMINATOR]);
}

/**
 * Reads one whole event. `cleared` is true when the tap already knows it is conforming and unchanged (it
 * was forwarded before this read): the inspector then only reads it, with no check to repeat.
 */
export type SseInspector = (event: Buffer, cleared: boolean) => SseEventVerdict;

export function createSseTap(inspect: SseInspector, options: SseTapOptions): RelayTransform {
  const alterations = options.alterations ?? EVERYWHERE;
  const looksConforming = options.looksConforming ?? (() => true);
  const checkEvent = options.checkEvent ?? (() => null);
  const passesAsIs = options.passesAsIs ?? (() => true);
  const maxEventBytes = options.maxEventBytes ?? MAX_SSE_EVENT_BYTES;
  const trusted =
    options.checksUnpassed === true
      ? (event: Buffer) => looksConforming(event) && passesAsIs(event)
      : (event: Buffer) => looksConforming(event);
  /** The partial event waiting for its end: its pieces, their size, and where its scan stopped. */
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const scan = createSseScanState();
  /** Cleared events forwarded and not read yet, in order: a chunk, then the start and end of each of its events. */
  let unread: Array<Buffer | number> = [];
  /** The chunk the last cleared event queued lies in. */
  let unreadChunk: Buffer | null = null;
  /** Whether a chunk of this stream came (its first event goes out alone when the chunk holds more). */
  let started = false;
  /** The data-less events since the last data event, and the slow ones against data (bounded: sse-dataless-run.ts). */
  const dataless = createDatalessRun();
  /** The byte order mark a stream may start with: removed, as every SSE parser ignores it. */
  const bom = createLeadingBom();

  /** Reads the cleared events in order (before any other event is inspected, and before the report). */
  const readCleared = (): null => {
    if (unread.length === 0) return null;
    const queue = unread;
    unread = [];
    unreadChunk = null;
    let chunk: Buffer | null = null;
    for (let index = 0; index < queue.length; index++) {
      const item = queue[index]!;
      if (typeof item !== "number") chunk = item;
      else inspect(chunk!.subarray(item, queue[++index] as number), true);
    }
    return null;
  };

  /** The event's failure, or null when it may be forwarded. */
  const refuse = (event: Buffer): GatewayError | null => {
    if (event.length > maxEventBytes) return eventTooLarge(maxEventBytes);
    if (!countEvent(dataless, event)) return tooManyDataless();
    return trusted(event) ? null : checkEvent(event);
  };

  /** Holds the bytes of a partial event (copied: a view would keep the whole chunk alive), within the cap. */
  const hold = (piece: Buffer, whole: boolean): RelayStop | null => {
    if (pendingBytes + piece.length > maxEventBytes) {
      readCleared(); // what was forwarded is read before the failure's event is written
      pending = [];
      pendingBytes = 0;
      return { failure: eventTooLarge(maxEventBytes), written: false };
    }
    pending.push(whole ? piece : Buffer.from(piece));
    pendingBytes += piece.length;
    return null;
  };

  /**
   * The events of `data` (starting on a boundary): cleared ones forwarded and read later, others checked
   * and inspected now, in order; the partial event at the end held. When an event must be inspected after
   * events were cleared, those go out first: the rest of the chunk is deferred (`defer`, once a chunk) past
   * the socket write of what was pushed.
   */
  const relayEvents = (
    data: Buffer,
    whole: boolean,
    push: (piece: Buffer | string) => void,
    later: () => void,
    defer: ((rest: () => RelayStop | null) => void) | null,
    first = false,
  ): RelayStop | null => {
    const length = data.length;
    // Without a CR an event ends at its first blank line: found by a native search, not byte by byte.
    const lfOnly = data.indexOf(CR) === -1;
    const nextAlteration = alterations(data);
    let alteredAt = nextAlteration(0);
    let start = 0;
    /** The end of the event the chunk's rest starts with when it was deferred (it is inspected first). */
    let deferredEnd = -1;

    const relay = (): RelayStop | null => {
      const out: Array<Buffer | string> = [];
      let keptFrom = start;
      let changed = false;
      let cleared = 0;
      let failure: GatewayError | null = null;
      while (start < length) {
        // The event that made the chunk defer is inspected first when it resumes.
        let end = deferredEnd;
        const resumed = end !== -1;
        let oneLine = false;
        deferredEnd = -1;
        if (!resumed) {
          if (DATALESS_START[data[start] as number] === 1) {
            // Data-less events go out as received, unread: a flood of them costs a byte loop.
            const runEnd = skipDatalessRun(data, start, alteredAt, maxEventBytes, dataless);
            if (runEnd > start) {
              start = runEnd;
              if (alteredAt !== -1 && alteredAt < start) alteredAt = nextAlteration(start);
              continue;
            }
          }
          if (!lfOnly) end = scanSseEvent(data, start, scan);
          else if (data[start] === LF) end = start + 1;
          else {
            // The first LF: one line when a LF follows it, else the event's blank line is further on.
            const lineEnd = data.indexOf(LF, start);
            oneLine = lineEnd !== -1 && data[lineEnd + 1] === LF;
            const blank = oneLine || lineEnd === -1 ? lineEnd : data.indexOf(TERMINATOR, lineEnd);
            end = blank === -1 ? -1 : blank + 2;
            if (end === -1) scan.inLine = data[length - 1] !== LF;
          }
        }
        if (end === -1) break;
        const event = data.subarray(start, end);
        if (
          !resumed &&
          (alteredAt === -1 || alteredAt >= end) &&
          event.length <= maxEventBytes &&
          looksConforming(event, oneLine) &&
          passesAsIs(event) &&
          carriesData(event)
        ) {
          countDataEvent(dataless, end - start);
          if (unreadChunk !== data) {
            unread.push(data);
            unreadChunk = data;
          }
          unread.push(start, end);
          cleared++;
          start = end;
          continue;
        }
        if (cleared > 0 && defer !== null) {
          // What was cleared goes out now; this event and the rest after the socket write.
          if (start > keptFrom) out.push(data.subarray(keptFrom, start));
          for (const piece of out) push(piece);
          deferredEnd = end;
          defer(relay);
          defer = null;
          return null;
        }
        readCleared();
        failure = refuse(event);
        if (failure !== null) break;
        const verdict = inspect(event, false);
        if (verdict !== "keep") {
          changed = true;
          if (start > keptFrom) out.push(data.subarray(keptFrom, start));
          if (verdict !== "drop") out.push(verdict);
          keptFrom = end;
        }
        if (alteredAt !== -1 && alteredAt < end) alteredAt = nextAlteration(end);
        start = end;
        if (first && defer !== null && start < length) {
          // The stream's first event goes out alone: the rest of its chunk is worked on after its write.
          if (start > keptFrom) out.push(data.subarray(keptFrom, start));
          for (const piece of out) push(piece);
          defer(relay);
          defer = null;
          return null;
        }
      }
      if (cleared > 0) later();
      if (failure === null && !changed && whole && keptFrom === 0 && start === length) {
        push(data); // whole events, untouched: the very Buffer received
        return null;
      }
      if (start > keptFrom) out.push(data.subarray(keptFrom, start));
      for (const piece of out) push(piece);
      if (failure !== null) return { failure, written: false };
      // The scan of the partial event at the end stopped in `scan`: only its bytes are held.
      return start < length ? hold(data.subarray(start), false) : null;
    };
    return relay();
  };

  return createRelayTransform(
    {
      transform(received, push, later, defer) {
        const chunk = bom.strip(received);
        if (chunk === null || chunk.length === 0) return null;
        const first = !started;
        started = true;
        if (pendingBytes === 0 && !scan.afterCr) return relayEvents(chunk, true, push, later, defer, first);
        // The partial event's scan resumes in this chunk; its pieces are joined once, when it ends.
        const end = scanSseEvent(chunk, 0, scan);
        if (end === -1) return hold(chunk, true);
        const event = Buffer.concat([...pending, chunk.subarray(0, end)]);
        pending = [];
        pendingBytes = 0;
        // A data-less event cut by a chunk boundary goes out unread, as a whole one does, unless it may be altered.
        if (!carriesData(event) && skipDatalessEvent(event, alterations(event)(0), maxEventBytes, dataless))
          push(event);
        else {
          readCleared();
          const failure = refuse(event);
          if (failure !== null) return { failure, written: false };
          const verdict = inspect(event, false);
          if (verdict === "keep") push(event);
          else if (verdict !== "drop") push(verdict);
        }
        return end === chunk.length ? null : relayEvents(chunk.subarray(end), false, push, later, defer);
      },
      settle: readCleared,
      flush(push) {
        readCleared();
        const head = bom.rest(); // the start of a BOM that never completed: the stream's only bytes
        if (head.length > 0) pending.push(head);
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
      fail(failure) {
        readCleared();
        pending = []; // a partial event is dropped, never glued to the error event
        pendingBytes = 0;
        return options.answered?.() === true ? { failure, written: true } : null;
      },
    },
    options.failureEvent,
    true,
  );
}

const ERROR = Buffer.from('"error"');
const ESCAPE = Buffer.from("\\u");

/** Bytes that may carry a provider's error text or hide a key behind a JSON escape (a cheap search). */
export function mayCarryError(bytes: Buffer): boolean {
  return bytes.indexOf(ERROR) !== -1 || bytes.indexOf(ESCAPE) !== -1;
}
