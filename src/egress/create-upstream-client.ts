/**
 * @module egress/create-upstream-client
 * Outbound model calls: one pooled undici Pool per upstream origin (bounded, least recently used closed
 * first), the custom endpoint's pools built on the pinned connector. No redirects, time and size limits,
 * and one retry only for a connection that closed before any response byte.
 */
import type { Readable } from "node:stream";
import { LRUCache } from "lru-cache";
import { Pool } from "undici";
import type { EgressPolicy } from "./create-egress-policy.ts";
import { createGuardedConnector } from "./create-guarded-connector.ts";
import type { EgressDenyReason } from "./egress-deny-reasons.ts";
import { EgressError } from "./egress-error.ts";
import { notifyObserver } from "./egress-observer.ts";
import { mapUpstreamError } from "./map-upstream-error.ts";
import { defaultEgressLimits, parseEgressLimits } from "./parse-egress-limits.ts";
import { parseEgressUrl } from "./parse-egress-url.ts";

export interface UpstreamTimeouts {
  readonly connectMs: number;
  readonly headersMs: number;
  readonly bodyIdleMs: number;
  readonly totalMs: number;
}

export interface UpstreamCall {
  /** The full request URL (base URL + path). */
  readonly url: string;
  /** True for a user-named URL: the egress guard checks, resolves and pins it. */
  readonly guarded: boolean;
  readonly method: "GET" | "POST";
  readonly headers: Readonly<Record<string, string>>;
  /** A stream (an upload relayed as it arrives) is sent once: it is never retried. */
  readonly body: string | Readable | null;
  readonly timeouts: UpstreamTimeouts;
  /** The caller's abort (a client that went away). */
  readonly signal?: AbortSignal;
}

/** A response body as it arrives (undici's), readable as a stream or whole; map its errors with `toUpstreamFailure`. */
export type UpstreamBody = Readable & { text(): Promise<string> };

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: UpstreamBody;
}

export interface UpstreamClientOptions {
  readonly policy: EgressPolicy;
  /** Pools kept at once; the least recently used is closed (after its in-flight requests) beyond it. */
  readonly maxOrigins?: number;
  /** The largest response body relayed or read. */
  readonly maxResponseBytes?: number;
  /** Sockets per origin. */
  readonly connectionsPerOrigin?: number;
}

export interface UpstreamClient {
  send(call: UpstreamCall): Promise<UpstreamResponse>;
  /** Pools currently open (for tests and metrics). */
  readonly poolCount: number;
  close(): Promise<void>;
}

/** Errors a reused keep-alive socket gives when the server closed it before answering. */
const closedBeforeResponse = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE"]);

function innermostCode(error: unknown): string | null {
  let current: unknown = error;
  let code: string | null = null;
  for (let depth = 0; depth < 6 && typeof current === "object" && current !== null; depth++) {
    const value = (current as { code?: unknown }).code;
    if (typeof value === "string") code ??= value;
    current = (current as { cause?: unknown }).cause;
  }
  return code;
}

/** Maps whatever a call or its body stream threw to an EgressError with a stable reason. */
export function toUpstreamFailure(error: unknown): EgressError {
  if (error instanceof EgressError) return error;
  if (innermostCode(error) === "UND_ERR_RES_EXCEEDED_MAX_SIZE") return new EgressError("response_too_large");
  return new EgressError(mapUpstreamError(error).reason);
}

/** Drops a response body nobody will read; undici reports the abort as an error, which is expected here. */
export function discard(body: Readable): void {
  body.on("error", () => {});
  body.destroy();
}

export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const { policy } = options;
  const maxResponseBytes = options.maxResponseBytes ?? defaultEgressLimits.maxResponseBytes;
  const connections = options.connectionsPerOrigin ?? 128;
  let closing = false;
  const pools = new LRUCache<string, Pool>({
    max: options.maxOrigins ?? 256,
    // An evicted pool finishes its in-flight requests, then closes its sockets.
    dispose: (pool) => {
      if (!closing) pool.close().catch(() => {});
    },
  });

  const poolFor = (origin: string, guarded: boolean, timeouts: UpstreamTimeouts): Pool => {
    const cacheKey = `${guarded ? "g" : "t"}|${timeouts.connectMs}|${origin}`;
    let pool = pools.get(cacheKey);
    if (pool === undefined) {
      const common = {
        connections,
        maxResponseSize: maxResponseBytes,
        keepAliveTimeout: defaultEgressLimits.keepAliveTimeoutMs,
        allowH2: false,
      };
      pool = guarded
        ? new Pool(origin, {
            ...common,
            connect: createGuardedConnector(
              policy,
              parseEgressLimits({ connectTimeoutMs: timeouts.connectMs }),
            ),
          })
        : new Pool(origin, { ...common, connect: { timeout: timeouts.connectMs } });
      pools.set(cacheKey, pool);
    }
    return pool;
  };

  const deny = (
    call: UpstreamCall,
    reason: EgressDenyReason,
    host: string,
    cause?: string,
    status?: number,
  ) => {
    if (call.guarded) {
      notifyObserver(policy.observer, "onDenied", reason, {
        stage: "fetch",
        host,
        ...(cause === undefined ? {} : { cause }),
        ...(status === undefined ? {} : { status }),
      });
    }
    return new EgressError(reason);
  };

  async function send(call: UpstreamCall): Promise<UpstreamResponse> {
    let url: URL;
    if (call.guarded) {
      const parsed = parseEgressUrl(call.url, policy, "request");
      if (!parsed.ok) throw deny(call, parsed.reason, parsed.host ?? "");
      url = parsed.url;
    } else {
      url = new URL(call.url);
    }
    const host = url.hostname;
    // One controller per call: the total time limit and the caller's abort both end it
    // (cheaper than AbortSignal.any on the hot path, and nothing outlives the call).
    const limit = new AbortController();
    const signal = limit.signal;
    const callerSignal = call.signal;
    const onCallerAbort = () => limit.abort(callerSignal?.reason);
    if (callerSignal !== undefined) {
      if (callerSignal.aborted) limit.abort(callerSignal.reason);
      else callerSignal.addEventListener("abort", onCallerAbort, { once: true });
    }
    const timer = setTimeout(() => limit.abort(new EgressError("total_timeout")), call.timeouts.totalMs);
    timer.unref();
    const release = () => {
      clearTimeout(timer);
      callerSignal?.removeEventListener("abort", onCallerAbort);
    };
    const pool = poolFor(url.origin, call.guarded, call.timeouts);
    const attempt = () =>
      pool.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: call.method,
        headers: call.headers,
        body: call.body,
        signal,
        headersTimeout: call.timeouts.headersMs,
        bodyTimeout: call.timeouts.bodyIdleMs,
      });

    let response: Awaited<ReturnType<typeof attempt>>;
    try {
      try {
        response = await attempt();
      } catch (error) {
        const code = innermostCode(error);
        const replayable = typeof call.body === "string" || call.body === null;
        if (signal.aborted || !replayable || code === null || !closedBeforeResponse.has(code)) throw error;
        response = await attempt(); // the socket closed before any response byte: one retry
      }
    } catch (error) {
      release();
      if (callerSignal?.aborted === true) throw error;
      const failure =
        signal.aborted && signal.reason instanceof EgressError ? signal.reason : toUpstreamFailure(error);
      throw deny(call, failure.reason, host, innermostCode(error) ?? undefined);
    }

    const { statusCode, headers, body } = response;
    if (statusCode >= 300 && statusCode < 400) {
      release();
      discard(body);
      throw deny(call, "redirect_refused", host, undefined, statusCode);
    }
    body.once("close", release);
    return { status: statusCode, headers, body };
  }

  return {
    send,
    get poolCount() {
      return pools.size;
    },
    async close() {
      closing = true;
      const open = [...pools.values()];
      pools.clear();
      await Promise.all(open.map((pool) => pool.close().catch(() => {})));
    },
  };
}
