/**
 * @module Maps whatever undici, net or tls threw on the guarded path to a reason code and a bare error
 * code for the log. The upstream error itself never leaves this module.
 */
import type { EgressDenyReason } from "./egress-deny-reasons.ts";
import { EgressError } from "./egress-error.ts";

export interface UpstreamFailure {
  readonly reason: EgressDenyReason;
  /** The innermost recognizable error code (`ECONNREFUSED`, `UND_ERR_HEADERS_TIMEOUT`), or "unknown". */
  readonly cause: string;
}

const byCode: Readonly<Record<string, EgressDenyReason>> = {
  UND_ERR_CONNECT_TIMEOUT: "connect_timeout",
  UND_ERR_HEADERS_TIMEOUT: "headers_timeout",
  UND_ERR_BODY_TIMEOUT: "body_timeout",
  ECONNREFUSED: "connect_failed",
  EHOSTUNREACH: "connect_failed",
  ENETUNREACH: "connect_failed",
  EADDRNOTAVAIL: "connect_failed",
  ETIMEDOUT: "connect_failed",
  EPROTO: "tls_failed",
};

const tlsCode = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;

export function mapUpstreamError(error: unknown): UpstreamFailure {
  let current: unknown = error;
  let cause = "unknown";
  for (let depth = 0; depth < 6 && typeof current === "object" && current !== null; depth++) {
    if (current instanceof EgressError) return { reason: current.reason, cause: current.reason };
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[A-Z0-9_]{1,60}$/.test(code)) {
      cause = code;
      const reason = byCode[code] ?? (tlsCode.test(code) ? "tls_failed" : undefined);
      if (reason !== undefined) return { reason, cause };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return { reason: "request_failed", cause };
}
