/**
 * @module wire/openai/map-response-error-code
 * A failure → the code a failed Response's `error` carries: one of the spec's ResponseErrorCode values (the
 * failure's own code when it is one, `rate_limit_exceeded` for a rate limit, else `server_error`).
 */
import type { GatewayError } from "../../errors/gateway-error.ts";

/** OpenAI's ResponseErrorCode enum (openai-openapi.json), the only codes a Response's `error` may carry. */
export const RESPONSE_ERROR_CODES: ReadonlySet<string> = new Set([
  "server_error",
  "rate_limit_exceeded",
  "invalid_prompt",
  "data_residency_mismatch",
  "bio_policy",
  "vector_store_timeout",
  "invalid_image",
  "invalid_image_format",
  "invalid_base64_image",
  "invalid_image_url",
  "image_too_large",
  "image_too_small",
  "image_parse_error",
  "image_content_policy_violation",
  "invalid_image_mode",
  "image_file_too_large",
  "unsupported_image_media_type",
  "empty_image_file",
  "failed_to_download_image",
  "image_file_not_found",
]);

/** Provider codes that say "rate limited" in other words (Anthropic's, Google's). */
const RATE_LIMITED = new Set(["rate_limit_error", "RESOURCE_EXHAUSTED", "429"]);

export function mapResponseErrorCode(failure: GatewayError): string {
  const code = failure.code;
  if (code !== null && RESPONSE_ERROR_CODES.has(code)) return code;
  if (failure.type === "rate_limited" || (code !== null && RATE_LIMITED.has(code)))
    return "rate_limit_exceeded";
  return "server_error";
}
