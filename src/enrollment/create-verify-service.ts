/**
 * @module enrollment/create-verify-service
 * `POST /v1/byok/verify` for one user: the per-user rate limit, the custom endpoint to check (the header's,
 * else the enrolled one, for the enrolled key only), then the live checks. Reads the enrollment, never
 * changes it.
 */
import { GatewayError } from "../errors/gateway-error.ts";
import type { PresentedByok } from "../keys/parse-byok-headers.ts";
import type { PepperRing } from "../keys/pepper-ring.ts";
import { CUSTOM_BASE_URL_HEADER } from "../keys/provider-ids.ts";
import type { RateLimiter } from "../metering/rate-limits/index.ts";
import type { EnrollmentRecord } from "../store/store-types.ts";
import type { KeyVerifier } from "./create-key-verifier.ts";
import type { VerifyResults } from "./verify-result.ts";

export interface VerifyServiceOptions {
  readonly verifier: KeyVerifier;
  readonly limiter: RateLimiter;
  /** Calls per user per minute; 0 switches the limit off. */
  readonly requestsPerMinute: number;
  /** The user's enrollment (cached), read only when a custom key comes without a base-URL header. */
  readonly enrollment: (userId: string) => Promise<EnrollmentRecord | null>;
  /** Matches the presented custom key against the enrolled fingerprint. */
  readonly pepperRing: PepperRing;
  readonly onRateLimited?: () => void;
}

export type VerifyService = (userId: string, presented: PresentedByok) => Promise<VerifyResults>;

export function createVerifyService(options: VerifyServiceOptions): VerifyService {
  /**
   * The enrolled custom base URL, only for the key enrolled with it: a different key may belong to
   * another endpoint and is never sent to the enrolled one.
   */
  async function enrolledBaseUrlFor(userId: string, presented: PresentedByok): Promise<string | null> {
    const key = presented.keys.custom;
    if (key === undefined || presented.malformedSettings.includes(CUSTOM_BASE_URL_HEADER)) return null;
    const record = await options.enrollment(userId);
    const stored = record?.fingerprints.custom;
    if (record === null || record.customBaseUrl === null || stored === undefined) return null;
    const match = options.pepperRing.match(key.fingerprint(), stored);
    return match === "match" || match === "match_older_pepper" ? record.customBaseUrl : null;
  }

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
    // A header that was sent but is unusable is never replaced by the enrolled URL (the verifier refuses it).
    const customBaseUrl = presented.customBaseUrl ?? (await enrolledBaseUrlFor(userId, presented));
    return options.verifier.verify(presented, customBaseUrl);
  };
}
