/**
 * @module egress/collect-whole-answer
 * An undici dispatch handler that collects a whole (non-streamed) answer into one string: headers as soon as they
 * come, the body's text when it ends; no body stream, its buffers or its ticks per call. It enforces the call's
 * total time limit itself (no AbortController, timer closure or second abort listener per call).
 */
import type { Dispatcher } from "undici";
import { EgressError } from "./egress-error.ts";
import { refuseInformationalHead } from "./limit-informational-heads.ts";
import { defaultEgressLimits } from "./parse-egress-limits.ts";
import { errors, util } from "./undici-parts.ts";

/**
 * A call's total time limit over its attempts (a retry included): when it passes, the attempt under way is
 * cut with `total_timeout`. Cleared when the answer ends or fails.
 */
export class TotalLimit {
  /** The `total_timeout` error once the limit passed, else null. */
  reason: EgressError | null = null;
  /** The attempt under way, cut when the limit passes. */
  current: WholeAnswerHandler | null = null;
  readonly #timer: NodeJS.Timeout;

  constructor(ms: number) {
    this.#timer = setTimeout(TotalLimit.#pass, ms, this);
    this.#timer.unref();
  }

  static #pass(this: void, limit: TotalLimit): void {
    limit.reason = new EgressError("total_timeout");
    limit.current?.cut(limit.reason);
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.current = null;
  }
}

/** The answer's head, with its text still arriving (the same errors as a body stream's `text()`). */
export interface WholeAnswer {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body's text once it ended (UTF-8); rejects with the transport's error (time-out, size cap, reset). */
  text(): Promise<string>;
  /** Stops the transfer; the text is never read. */
  discard(): void;
}

/**
 * Where a whole answer's bytes are counted while the process holds them (the caller's share of a memory
 * budget): `take` refuses bytes that do not fit with the error the call then ends with.
 */
export interface HeldBytes {
  /** Counts `bytes` more; null when they fit, else the error to end the call with (nothing counted). */
  take(bytes: number): Error | null;
  /** Gives back `bytes` counted before (an attempt that failed drops what it collected). */
  give(bytes: number): void;
}

/**
 * The most bytes of an error answer (status 400 and up) collected: the client is shown its first 500
 * characters at most, so a longer body is not held (the answer keeps its status with a generic message).
 */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** UTF-8's byte-order mark, dropped from the text's start as undici's `text()` drops it. */
const BOM = [0xef, 0xbb, 0xbf] as const;

/** An answer's bytes as text (UTF-8), its byte-order mark dropped. */
export function decodeAnswerText(bytes: Buffer): string {
  const bom = bytes.length >= 3 && bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2];
  return bom ? bytes.toString("utf8", 3) : bytes.toString("utf8");
}

/** What `request()` rejects with on an abort: the signal's reason, else undici's RequestAbortedError. */
function abortReason(signal: AbortSignal | undefined): Error {
  return (signal?.reason as Error | undefined) ?? new errors.RequestAbortedError();
}

/**
 * Collects one call's answer. The request's own limits apply unchanged: the headers and body time-outs of the
 * dispatch options, and the response size cap, counted here too (undici enforces it on HTTP/1.1 only);
 * `signal` aborts it like `request()`'s. Informational (1xx) heads are skipped, as `request()` skips them, but
 * held to the headers limit from the request's start (undici refreshes its timer on each) and counted.
 */
export class WholeAnswerHandler implements WholeAnswer {
  statusCode = 0;
  headers: Record<string, string | string[] | undefined> = {};
  #abort: ((reason?: Error) => void) | null = null;
  #first: Buffer | null = null;
  #more: Buffer[] | null = null;
  #received = 0;
  /** The headers limit (ms, 0 for none), when the request went out, and the informational heads seen. */
  readonly #headersMs: number;
  #startedAt = 0;
  #informational = 0;
  /** Bytes counted in `#held` by this attempt. */
  #taken = 0;
  #text: string | null = null;
  #error: Error | null = null;
  #waiter: { resolve: (text: string) => void; reject: (error: Error) => void } | null = null;
  #reading: Promise<string> | null = null;
  #started: { resolve: (head: WholeAnswer) => void; reject: (error: Error) => void } | null;
  readonly #signal: AbortSignal | undefined;
  readonly #limit: TotalLimit;
  #maxBytes: number;
  readonly #held: HeldBytes | undefined;

  constructor(
    started: { resolve: (head: WholeAnswer) => void; reject: (error: Error) => void },
    signal: AbortSignal | undefined,
    limit: TotalLimit,
    maxBytes: number,
    headersMs: number,
    held?: HeldBytes,
  ) {
    this.#maxBytes = maxBytes;
    this.#headersMs = headersMs;
    this.#held = held;
    this.#started = started;
    this.#signal = signal;
    this.#limit = limit;
    limit.current = this;
    if (signal !== undefined) signal.addEventListener("abort", this);
  }

  /** The signal's abort (the handler is its own listener: no closure per call). */
  handleEvent(): void {
    this.cut(abortReason(this.#signal));
  }

  /** Ends the attempt with `reason`: the transfer is aborted, or, before it started, the call fails. */
  cut(reason: Error): void {
    if (this.#abort !== null) this.#abort(reason);
    else this.onError(reason);
  }

  onConnect(abort: (reason?: Error) => void): void {
    const reason = this.#signal?.aborted === true ? abortReason(this.#signal) : this.#limit.reason;
    if (reason !== null) {
      abort(reason);
      return;
    }
    this.#startedAt = Date.now();
    this.#abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200) {
      // 100/102/103: the final head is still to come, within the headers limit.
      const refused = refuseInformationalHead(++this.#informational, this.#startedAt, this.#headersMs);
      if (refused === null) return true;
      this.#abort?.(refused);
      return false;
    }
    this.statusCode = statusCode;
    if (statusCode >= 400 && this.#maxBytes > MAX_ERROR_BODY_BYTES) this.#maxBytes = MAX_ERROR_BODY_BYTES;
    this.headers = util.parseHeaders(rawHeaders) as Record<string, string | string[] | undefined>;
    const started = this.#started;
    this.#started = null;
    started?.resolve(this);
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.#received += chunk.length;
    if (this.#received > this.#maxBytes) {
      this.#abort?.(new errors.ResponseExceededMaxSizeError());
      return false;
    }
    if (this.#held !== undefined) {
      const refused = this.#held.take(chunk.length);
      if (refused !== null) {
        this.#abort?.(refused);
        return false;
      }
      this.#taken += chunk.length;
    }
    if (this.#first === null) this.#first = chunk;
    else if (this.#more === null) this.#more = [this.#first, chunk];
    else this.#more.push(chunk);
    return true;
  }

  onComplete(): void {
    this.#signal?.removeEventListener("abort", this);
    this.#limit.clear();
    const text =
      this.#more !== null
        ? decodeAnswerText(Buffer.concat(this.#more))
        : decodeAnswerText(this.#first ?? Buffer.alloc(0));
    this.#first = null;
    this.#more = null;
    this.#text = text;
    this.#waiter?.resolve(text);
    this.#waiter = null;
  }

  onError(error: Error): void {
    this.#signal?.removeEventListener("abort", this);
    if (this.#text !== null || this.#error !== null) return;
    this.#first = null;
    this.#more = null;
    this.#error = error;
    if (this.#taken > 0) {
      this.#held?.give(this.#taken); // what this attempt collected is dropped
      this.#taken = 0;
    }
    const started = this.#started;
    this.#started = null;
    // Before the headers, the caller's own catch releases (or retries); after them, the body's end does.
    if (started !== null) started.reject(error);
    else {
      this.#limit.clear();
      this.#waiter?.reject(error);
      this.#waiter = null;
    }
  }

  text(): Promise<string> {
    if (this.#text !== null) return Promise.resolve(this.#text);
    if (this.#error !== null) return Promise.reject(this.#error);
    // Every reader waits on the one promise (a second reader must not replace the first's).
    this.#reading ??= new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
    return this.#reading;
  }

  discard(): void {
    if (this.#text !== null || this.#error !== null) return;
    this.#abort?.(new errors.RequestAbortedError());
  }
}

/**
 * Dispatches `options` on `dispatcher`; resolves with the answer's head once its headers arrived. `signal`
 * (the caller's) and `limit` cut it; the limit is cleared once the answer that started ended or failed (a
 * failure before the headers is only the rejection: the caller retries or clears).
 */
export function collectWholeAnswer(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal: AbortSignal | undefined,
  limit: TotalLimit,
  maxBytes: number,
  held?: HeldBytes,
): Promise<WholeAnswer> {
  return new Promise((resolve, reject) => {
    const headersMs = options.headersTimeout ?? defaultEgressLimits.headersTimeoutMs;
    const handler = new WholeAnswerHandler({ resolve, reject }, signal, limit, maxBytes, headersMs, held);
    if (signal?.aborted === true) {
      handler.handleEvent();
      return;
    }
    if (limit.reason !== null) {
      handler.cut(limit.reason);
      return;
    }
    dispatcher.dispatch(options, handler);
  });
}
