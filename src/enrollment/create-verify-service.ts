/**
 * @module enrollment/create-verify-service
 * `POST /v1/byok/verify` for one user: the per-user rate limit, the custom endpoint to check (the header's,
 * else the enrolled one), then the live checks. Reads the enrollment, never changes it.
 */
import { GatewayError } from "../errors/gateway-error.ts";
import type { PresentedByok } from "../keys/parse-byok-headers.ts";
import type { RateLimiter } from "../metering/rate-limits/index.ts";
import type { KeyVerifier } from "./create-key-verifier.ts";
import type { EnrollmentStatus } from "./enrollment-status.ts";
import type { VerifyResults } from "./verify-result.ts";

export interface VerifyServiceOptions {
  readonly verifier: KeyVerifier;
  readonly limiter: RateLimiter;
  /** Calls per user per minute; 0 switches the limit off. */
  readonly requestsPerMinute: number;
  readonly status: (userId: string) => Promise<EnrollmentStatus>;
  readonly onRateLimited?: () => void;
}

export type VerifyService = (userId: string, presented: PresentedByok) => Promise<VerifyResults>;

export function createVerifyService(options: VerifyServiceOptions): VerifyService {
  return async (userId, presented) => {
    if (!presented.any) {
      throw new GatewayError("invalid_request", {
        message: "Send the keys to check in X-BYOK-* headers (X-BYOK-OpenAI, X-BYOK-Custom, …).",
      });
    }
    if (options.requestsPerMinute > 0) {
      const decision = await options.limiter.hit(`verify:${userId}`, options.requestsPerMinute, 60_000);
      if (!decision.ok) {
        options.onRateLimited?.();
        throw new GatewayError("rate_limited", {
          message: `Too many key checks; retry after ${decision.retryAfterSeconds} s.`,
          code: "verify_requests_per_minute",
          headers: { "retry-after": String(decision.retryAfterSeconds) },
        });
      }
    }
    let customBaseUrl = presented.customBaseUrl;
    if (customBaseUrl === null && presented.keys.custom !== undefined) {
      customBaseUrl = (await options.status(userId)).custom?.baseUrl ?? null;
    }
    return options.verifier.verify(presented, customBaseUrl);
  };
}
