/**
 * @module enrollment/probe-key
 * One key checked live: the provider's probe sent through `egress/` (guarded for the custom endpoint), the
 * answer read as valid, invalid or unknown, the provider's message made safe (keys redacted, bounded).
 */
import type { Readable } from "node:stream";
import {
  discard,
  type EgressError,
  egressDenyReasons,
  isEgressError,
  toUpstreamFailure,
  type UpstreamClient,
  type UpstreamTimeouts,
} from "../egress/index.ts";
import { parseProviderErrorFields } from "../errors/provider-error-fields.ts";
import { quotesKeyFragment } from "../keys/quotes-key-fragment.ts";
import { redactSecrets } from "../keys/redact-secrets.ts";
import type { SecretKey } from "../keys/secret-key.ts";
import type { ProviderAdapter } from "../providers/index.ts";
import { parseUpstreamJson } from "../wire/parse-upstream-json.ts";
import type { VerifyResult } from "./verify-result.ts";

/** The most of an error body read for its message; the rest is dropped. */
const MAX_ERROR_BYTES = 64 * 1024;

/** Failures of the connection itself (the key's fate unknown); any other guard reason is a refusal of the URL. */
const TRANSPORT_REASONS = new Set<string>([
  "connect_failed",
  "connect_timeout",
  "tls_failed",
  "headers_timeout",
  "body_timeout",
  "total_timeout",
  "response_too_large",
  "request_failed",
  "resolve_timeout",
]);

export interface ProbeKeyOptions {
  readonly provider: ProviderAdapter;
  readonly baseUrl: string;
  readonly key: SecretKey;
  /** True for the user's custom endpoint: sent only through the egress guard. */
  readonly guarded: boolean;
  readonly upstream: UpstreamClient;
  readonly timeouts: UpstreamTimeouts;
  /** Every key in the request: redacted from whatever the provider answers. */
  readonly secrets: readonly SecretKey[];
}

async function readBounded(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    chunks.push(buffer);
    size += buffer.length;
    if (size >= MAX_ERROR_BYTES) break; // leaving the loop destroys the body
  }
  return Buffer.concat(chunks).subarray(0, MAX_ERROR_BYTES).toString("utf8");
}

function failureResult(error: EgressError, guarded: boolean, latencyMs: number): VerifyResult {
  const refused = guarded && !TRANSPORT_REASONS.has(error.reason);
  return {
    status: refused ? "invalid" : "unknown",
    message: egressDenyReasons[error.reason],
    latencyMs,
    httpStatus: null,
    egressReason: refused ? error.reason : null,
  };
}

export async function probeKey(options: ProbeKeyOptions): Promise<VerifyResult> {
  const { provider, guarded } = options;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const probe = provider.buildVerifyProbe(options.baseUrl, options.key);
  let status: number;
  let text = "";
  try {
    const response = await options.upstream.send({
      url: probe.url,
      guarded,
      method: "GET",
      headers: { accept: "application/json", ...probe.headers },
      body: null,
      timeouts: options.timeouts,
    });
    status = response.status;
    if (status >= 200 && status < 300) discard(response.body);
    else text = await readBounded(response.body);
  } catch (error) {
    return failureResult(isEgressError(error) ? error : toUpstreamFailure(error), guarded, elapsed());
  }
  const latencyMs = elapsed();
  if (status >= 200 && status < 300) {
    return { status: "valid", message: null, latencyMs, httpStatus: status, egressReason: null };
  }
  const read = parseUpstreamJson(text);
  const raw = provider.readError(read.ok ? read.value : null);
  const fields = parseProviderErrorFields(raw, (value) => redactSecrets(value, options.secrets));
  const rejected = provider.rejectsKey?.(status, raw) ?? (status === 401 || status === 403);
  // A message that quotes a stretch of the key in any disguise is withheld whole (a hostile endpoint).
  const message =
    fields.message !== null && quotesKeyFragment(fields.message, options.secrets)
      ? `HTTP ${status} (the provider's message was withheld: it quoted the key)`
      : (fields.message ?? `HTTP ${status}`);
  return {
    status: rejected ? "invalid" : "unknown",
    message: `${provider.id}: ${message}`,
    latencyMs,
    httpStatus: status,
    egressReason: null,
  };
}
