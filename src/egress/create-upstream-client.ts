/**
 * @module egress/create-upstream-client
 * Outbound model calls: one pooled undici Pool per upstream origin and connection (bounded, least recently
 * used closed first, sized per connection, HTTP/2 where configured), the custom endpoint's pools built on the
 * pinned connector. No redirects, time and size limits, one retry only for a connection that closed before
 * any response byte; the pools' queues readable for metrics.
 */
import type { Readable } from "node:stream";
import { LRUCache } from "lru-cache";
import type { Dispatcher } from "undici";
import { capResponseSize } from "./cap-response-size.ts";
import { collectWholeAnswer, type HeldBytes, TotalLimit, type WholeAnswer } from "./collect-whole-answer.ts";
import type { EgressPolicy } from "./create-egress-policy.ts";
import { createGuardedConnector } from "./create-guarded-connector.ts";
import type { EgressDenyReason } from "./egress-deny-reasons.ts";
import { EgressError } from "./egress-error.ts";
import { notifyObserver } from "./egress-observer.ts";
import { limitInformationalHeads } from "./limit-informational-heads.ts";
import { defaultEgressLimits, parseEgressLimits } from "./parse-egress-limits.ts";
import { parseEgressUrl } from "./parse-egress-url.ts";
import { type LabelledPool, sumPoolStats, type UpstreamPoolStats } from "./sum-pool-stats.ts";
import { Pool } from "./undici-parts.ts";
import { innermostCode, toUpstreamFailure, worthRetry } from "./upstream-failure.ts";
import { discard, type UpstreamResponse, WholeResponse } from "./upstream-response.ts";

export type { UpstreamPoolStats } from "./sum-pool-stats.ts";
export type { UpstreamBody, UpstreamResponse } from "./upstream-response.ts";
export { discard } from "./upstream-response.ts";

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
  /** The configured connection's pool (ignored for a guarded call); the client's defaults when unset. */
  readonly pool?: UpstreamPoolOptions;
  /**
   * The caller reads the whole answer (not a stream): it is collected into one string by a small dispatch
   * handler (`response.whole`) instead of a body stream; the same limits, abort and pinning apply.
   */
  readonly whole?: boolean;
  /**
   * Where a whole answer's bytes are counted while held (the caller's share of the answer memory): bytes
   * that do not fit end the call with the error it gives. Streams are not counted (backpressure bounds them).
   */
  readonly held?: HeldBytes | undefined;
}

/** A configured connection's pool. One label names one setting: calls with the same label share pools. */
export interface UpstreamPoolOptions {
  /** The metrics label: the connection's name (never a URL). `custom` is the guarded pools' own. */
  readonly label: string;
  /** Sockets the pool may open to its origin. */
  readonly maxConnections: number;
  /** Offer HTTP/2 by ALPN (TLS origins only). */
  readonly http2: boolean;
}

export interface UpstreamClientOptions {
  readonly policy: EgressPolicy;
  /** Pools kept at once; the least recently used is closed (after its in-flight requests) beyond it. */
  readonly maxOrigins?: number;
  /** The largest response body relayed or read. */
  readonly maxResponseBytes?: number;
  /** Sockets per origin of a trusted call that names no pool (default 1024). */
  readonly connectionsPerOrigin?: number;
  /** HTTP/2 for a trusted call that names no pool (default off). */
  readonly http2?: boolean;
  /** Sockets per user-named origin of the custom endpoint (default 64). */
  readonly customConnectionsPerOrigin?: number;
  /** Certificate authorities trusted for configured (not user-named) origins instead of Node's (a private CA). */
  readonly ca?: string | readonly string[];
}

export interface UpstreamClient {
  send(call: UpstreamCall): Promise<UpstreamResponse>;
  /** Pools currently open (for tests and metrics). */
  readonly poolCount: number;
  /** Every open pool's requests and sockets, summed per label. */
  poolStats(): UpstreamPoolStats[];
  close(): Promise<void>;
}

const DEFAULT_CONNECTIONS_PER_ORIGIN = 1024;
const DEFAULT_CUSTOM_CONNECTIONS_PER_ORIGIN = 64;

/** What a call reads of its URL: where to connect and what to ask for. */
interface TargetUrl {
  readonly origin: string;
  readonly hostname: string;
  /** The path and query. */
  readonly path: string;
}

const TRUSTED_URLS_KEPT = 1024;

/**
 * An open pool and what streamed calls go through: the pool behind the informational-heads interceptor (undici
 * refreshes its headers timer on every 1xx head), and behind the size-cap interceptor too where HTTP/2 may be
 * negotiated (undici caps the body on HTTP/1.1 only). Whole answers check both themselves.
 */
interface PoolEntry extends LabelledPool {
  readonly streams: Dispatcher;
}

function toTarget(url: URL): TargetUrl {
  return { origin: url.origin, hostname: url.hostname, path: `${url.pathname}${url.search}` };
}

export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const { policy } = options;
  const maxResponseBytes = options.maxResponseBytes ?? defaultEgressLimits.maxResponseBytes;
  const trustedDefault: UpstreamPoolOptions = {
    label: "default",
    maxConnections: options.connectionsPerOrigin ?? DEFAULT_CONNECTIONS_PER_ORIGIN,
    http2: options.http2 ?? false,
  };
  // A user-named origin: HTTP/1.1 only, every socket through the pinned connector.
  const guardedPool: UpstreamPoolOptions = {
    label: "custom",
    maxConnections: options.customConnectionsPerOrigin ?? DEFAULT_CUSTOM_CONNECTIONS_PER_ORIGIN,
    http2: false,
  };
  // Every call names its own headers limit; the default only stands in for one that would not.
  const informationalHeads = limitInformationalHeads(defaultEgressLimits.headersTimeoutMs);
  const trustedCa = options.ca === undefined ? {} : { ca: options.ca as string | string[] };
  let closing = false;
  const pools = new LRUCache<string, PoolEntry>({
    max: options.maxOrigins ?? 256,
    // An evicted pool finishes its in-flight requests, then closes its sockets.
    dispose: ({ pool }) => {
      if (!closing) pool.close().catch(() => {});
    },
  });

  const openPool = (origin: string, guarded: boolean, settings: UpstreamPoolOptions, connectMs: number) => {
    const common = {
      connections: settings.maxConnections,
      maxResponseSize: maxResponseBytes,
      keepAliveTimeout: defaultEgressLimits.keepAliveTimeoutMs,
      // An upstream's `Keep-Alive: timeout=N` may shorten the idle limit, never lengthen it (undici's cap is 600 s).
      keepAliveMaxTimeout: defaultEgressLimits.keepAliveTimeoutMs,
    };
    return guarded
      ? new Pool(origin, {
          ...common,
          allowH2: false,
          connect: createGuardedConnector(policy, parseEgressLimits({ connectTimeoutMs: connectMs })),
        })
      : new Pool(origin, {
          ...common,
          allowH2: settings.http2,
          connect: { timeout: connectMs, ...trustedCa },
        });
  };

  const poolFor = (origin: string, call: UpstreamCall): PoolEntry => {
    const settings = call.guarded ? guardedPool : (call.pool ?? trustedDefault);
    const connectMs = call.timeouts.connectMs;
    const cacheKey = `${call.guarded ? "g" : "t"}|${settings.label}|${connectMs}|${origin}`;
    let entry = pools.get(cacheKey);
    if (entry === undefined) {
      const pool = openPool(origin, call.guarded, settings, connectMs);
      // allowH2 (trusted pools that ask for it): undici's maxResponseSize would not hold on HTTP/2 streams.
      const streams = settings.http2
        ? pool.compose(informationalHeads, capResponseSize(maxResponseBytes))
        : pool.compose(informationalHeads);
      entry = { label: settings.label, pool, streams };
      pools.set(cacheKey, entry);
    }
    return entry;
  };

  /**
   * Configured (trusted) URLs parsed once: the operator's base URLs and the adapters' paths make a small
   * set; emptied when it grows past TRUSTED_URLS_KEPT (a path naming a model per request stays bounded).
   */
  const trustedTargets = new Map<string, TargetUrl>();
  const trustedTarget = (href: string): TargetUrl => {
    let target = trustedTargets.get(href);
    if (target === undefined) {
      target = toTarget(new URL(href));
      if (trustedTargets.size >= TRUSTED_URLS_KEPT) trustedTargets.clear();
      trustedTargets.set(href, target);
    }
    return target;
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
    let url: TargetUrl;
    if (call.guarded) {
      // A user-named URL: checked by the egress policy on every call, never remembered.
      const parsed = parseEgressUrl(call.url, policy, "request");
      if (!parsed.ok) throw deny(call, parsed.reason, parsed.host ?? "");
      url = toTarget(parsed.url);
    } else {
      url = trustedTarget(call.url);
    }
    const host = url.hostname;
    const { pool, streams } = poolFor(url.origin, call);
    return call.whole === true ? sendWhole(call, url, host, pool) : sendStreamed(call, url, host, streams);
  }

  /**
   * A whole answer: the collecting handler listens to the caller's signal and the call's total limit itself
   * (no controller, no timer closure, no second listener per call).
   */
  async function sendWhole(
    call: UpstreamCall,
    url: TargetUrl,
    host: string,
    pool: Pool,
  ): Promise<UpstreamResponse> {
    const callerSignal = call.signal;
    const limit = new TotalLimit(call.timeouts.totalMs);
    // One options object for the call and its retry (undici reads it, never keeps or changes it).
    const requestOptions = {
      origin: url.origin,
      path: url.path,
      method: call.method,
      headers: call.headers,
      body: call.body,
      headersTimeout: call.timeouts.headersMs,
      bodyTimeout: call.timeouts.bodyIdleMs,
    };
    const collect = () =>
      collectWholeAnswer(pool, requestOptions, callerSignal, limit, maxResponseBytes, call.held);
    let response: WholeAnswer;
    try {
      try {
        response = await collect();
      } catch (error) {
        const cut = limit.reason !== null || callerSignal?.aborted === true;
        if (cut || !worthRetry(call.body, error)) throw error;
        response = await collect();
      }
    } catch (error) {
      limit.clear();
      if (callerSignal?.aborted === true) throw error;
      const failure = limit.reason ?? toUpstreamFailure(error);
      throw deny(call, failure.reason, host, innermostCode(error) ?? undefined);
    }
    const { statusCode } = response;
    if (statusCode >= 300 && statusCode < 400) {
      response.discard();
      limit.clear();
      throw deny(call, "redirect_refused", host, undefined, statusCode);
    }
    return new WholeResponse(response);
  }

  /** A streamed answer (and an error's body) through `streams`: its body capped as it arrives, whatever the protocol. */
  async function sendStreamed(
    call: UpstreamCall,
    url: TargetUrl,
    host: string,
    streams: Dispatcher,
  ): Promise<UpstreamResponse> {
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
    // One options object for the call and its retry (undici reads it, never keeps or changes it).
    const requestOptions = {
      origin: url.origin,
      path: url.path,
      method: call.method,
      headers: call.headers,
      body: call.body,
      signal,
      headersTimeout: call.timeouts.headersMs,
      bodyTimeout: call.timeouts.bodyIdleMs,
    };

    let response: Dispatcher.ResponseData;
    try {
      try {
        response = await streams.request(requestOptions);
      } catch (error) {
        if (signal.aborted || !worthRetry(call.body, error)) throw error;
        // A reused keep-alive socket closed before any response byte: one retry.
        response = await streams.request(requestOptions);
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
    poolStats: () => sumPoolStats(pools.values()),
    async close() {
      closing = true;
      const open = [...pools.values()];
      pools.clear();
      await Promise.all(open.map(({ pool }) => pool.close().catch(() => {})));
    },
  };
}
