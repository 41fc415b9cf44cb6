/**
 * @module enrollment/verify-result
 * What `POST /v1/byok/verify` and `byok-gateway verify` answer per presented key (docs/api.md).
 */
import type { ProviderId } from "../keys/provider-ids.ts";

/** `valid`: the provider accepted the key; `invalid`: it refused it (401/403) or the guard refused the URL. */
export type VerifyStatus = "valid" | "invalid" | "unknown";

export interface VerifyResult {
  readonly status: VerifyStatus;
  /** The provider's message (keys redacted, bounded) or the gateway's; null when the key is valid. */
  readonly message: string | null;
  /** Wall time of the check, in whole milliseconds. */
  readonly latencyMs: number;
  /** The provider's HTTP status, when it answered. */
  readonly httpStatus: number | null;
  /** The egress guard's reason code when it refused the custom base URL. */
  readonly egressReason: string | null;
}

export interface VerifyResults {
  readonly results: Readonly<Partial<Record<ProviderId, VerifyResult>>>;
}
