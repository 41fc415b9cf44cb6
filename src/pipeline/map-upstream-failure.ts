/**
 * @module pipeline/map-upstream-failure
 * Upstream outcomes → the gateway's stable errors: an error response keeps its 4xx status and the
 * provider's message, code and param made safe by `parseProviderErrorFields` (keys redacted, known codes only); 5xx and failures are 502, time-outs 504, a guard refusal on the
 * custom endpoint a generic 403 (its reason goes to the log and the egress metric, never to the client).
 */

import type { EgressError } from "../egress/index.ts";
import { createProviderError } from "../errors/create-provider-error.ts";
import { GatewayError } from "../errors/gateway-error.ts";
import { parseProviderErrorFields } from "../errors/provider-error-fields.ts";
import { redactSecrets } from "../keys/redact-secrets.ts";
import type { SecretKey } from "../keys/secret-key.ts";
import type { ProviderAdapter } from "../providers/index.ts";
import { parseUpstreamJson } from "../wire/parse-upstream-json.ts";

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

/** The two forms of Retry-After (RFC 9110): delta-seconds or an IMF-fixdate; anything else (a key) is dropped. */
const RETRY_AFTER =
  /^(?:\d{1,10}|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT)$/;

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

export interface UpstreamErrorResponse {
  readonly status: number;
  readonly text: string;
  /** The provider's `retry-after` (seconds or a date), passed on with a 429. */
  readonly retryAfter: string | null;
  /** Whose key the call was made with: a rejected operator key is the operator's problem, not the user's. */
  readonly source: "byok" | "operator";
}

export function mapErrorResponse(
  response: UpstreamErrorResponse,
  provider: ProviderAdapter,
  secrets: readonly SecretKey[],
): GatewayError {
  const { status, text } = response;
  // An unreadable or too deeply nested body names no fields: the status alone is reported.
  const read = parseUpstreamJson(text);
  const parsed = read.ok ? read.value : null;
  const fields = parseProviderErrorFields(provider.readError(parsed), (text) => redactSecrets(text, secrets));
  const options = { provider: provider.id, fallbackMessage: `HTTP ${status}` };
  if ((status === 401 || status === 403) && response.source === "operator") {
    // The operator's own key was refused: the end user can do nothing about it (and must not read it
    // as their gateway session failing), so it is a gateway-side failure.
    return createProviderError("upstream_error", fields, options);
  }
  if (status >= 400 && status < 500) {
    const retryAfter =
      status === 429 && response.retryAfter !== null && RETRY_AFTER.test(response.retryAfter)
        ? { headers: { "retry-after": response.retryAfter } }
        : {};
    return createProviderError("upstream_rejected", fields, { ...options, status, ...retryAfter });
  }
  return createProviderError("upstream_error", fields, options);
}
