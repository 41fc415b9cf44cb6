/**
 * @module config/upstream-schema
 * The upstream pools' configuration (docs/configuration.md, `upstream`): time limits, how many origins and
 * connections per origin the gateway keeps, HTTP/2; and the per-connection pool settings.
 */
import { z } from "zod";

/** Sockets one pool may open: enough for a thousand concurrent streams to one provider per process. */
export const DEFAULT_MAX_CONNECTIONS_PER_ORIGIN = 1024;
/** The custom endpoint's pools (one per user-named origin): lower, since users choose those origins. */
export const DEFAULT_CUSTOM_MAX_CONNECTIONS_PER_ORIGIN = 64;

const maxConnections = z.number().int().min(1).max(65_536);

/** What a connection (`connections.<name>`, `providers.<id>`) may set about its own pool. */
export const connectionPoolSettings = {
  /** Sockets this connection's pool may open to its origin; `upstream.maxConnectionsPerOrigin` when unset. */
  maxConnections: maxConnections.optional(),
  /** Offer HTTP/2 (ALPN, TLS origins only); `upstream.http2` when unset. */
  http2: z.boolean().optional(),
};

export const upstreamSchema = z
  .strictObject({
    /** Defaults for every configured provider's calls. */
    timeouts: z
      .strictObject({
        connectMs: z.number().int().min(1).max(3_600_000).default(10_000),
        headersMs: z.number().int().min(1).max(3_600_000).default(120_000),
        bodyIdleMs: z.number().int().min(1).max(3_600_000).default(120_000),
        totalMs: z.number().int().min(1).max(3_600_000).default(600_000),
      })
      .prefault({}),
    /** Upstream origins with a pooled connection set; the least recently used is closed beyond it. */
    maxOrigins: z.number().int().min(1).max(100_000).default(256),
    /** Sockets per configured origin (a streamed answer holds one for its whole length). */
    maxConnectionsPerOrigin: maxConnections.default(DEFAULT_MAX_CONNECTIONS_PER_ORIGIN),
    /** Offer HTTP/2 to configured TLS origins (ALPN; HTTP/1.1 when the origin declines). */
    http2: z.boolean().default(false),
    /** Largest upstream response body read (non-streamed answers, errors) or relayed. */
    maxResponseBytes: z
      .number()
      .int()
      .min(1024)
      .default(32 * 1024 * 1024),
  })
  .prefault({});

/** Sockets per user-named origin of the custom endpoint (`egress.maxConnectionsPerOrigin`). */
export const customMaxConnectionsSchema = maxConnections.default(DEFAULT_CUSTOM_MAX_CONNECTIONS_PER_ORIGIN);
