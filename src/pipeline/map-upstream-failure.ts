/**
 * @module pipeline/map-upstream-failure
 * Upstream outcomes → the gateway's stable errors: an error response keeps its 4xx status and the
 * provider's message with keys redacted; 5xx and failures are 502, time-outs 504, a guard refusal on the
 * custom endpoint a generic 403 (its reason goes to the log and the egress metric, never to the client).
 */

import type { EgressError } from "../egress/index.ts";
import { GatewayError } from "../errors/gateway-error.ts";
import { redactSecrets } from "../keys/redact-secrets.ts";
import type { SecretKey } from "../keys/secret-key.ts";
import type { ProviderAdapter } from "../providers/index.ts";

const MESSAGE_LIMIT = 500;

const timeouts = new Set([
  "connect_timeout",
  "headers_timeout",
  "body_timeout",
  "total_timeout",
  "resolve_timeout",
]);
const transport = new Set([
  "connect_failed",
  "tls_failed",
  "request_failed",
  "response_too_large",
  "connect_timeout",
  "headers_timeout",
  "body_timeout",
  "total_timeout",
]);

export function mapEgressFailure(
  error: EgressError,
  provider: ProviderAdapter,
  guarded: boolean,
): GatewayError {
  const options = { provider: provider.id, code: error.reason };
  if (timeouts.has(error.reason)) return new GatewayError("upstream_timeout", options);
  if (guarded && !transport.has(error.reason))
    return new GatewayError("custom_endpoint_refused", { provider: provider.id });
  return new GatewayError("upstream_error", options);
}

export function mapErrorResponse(
  status: number,
  text: string,
  provider: ProviderAdapter,
  secrets: readonly SecretKey[],
): GatewayError {
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  const fields = provider.readError(parsed);
  const detail = fields.message === null ? `HTTP ${status}` : redactSecrets(fields.message, secrets);
  const message = `${provider.id}: ${detail.length > MESSAGE_LIMIT ? `${detail.slice(0, MESSAGE_LIMIT)}…` : detail}`;
  const code = fields.code === null ? null : redactSecrets(fields.code, secrets).slice(0, 100);
  const options = { message, provider: provider.id, ...(code === null ? {} : { code }) };
  if (status >= 400 && status < 500) return new GatewayError("upstream_rejected", { ...options, status });
  return new GatewayError("upstream_error", options);
}
