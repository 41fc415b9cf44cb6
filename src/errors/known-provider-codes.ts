/**
 * @module errors/known-provider-codes
 * The closed set of provider error codes and types that reach a client verbatim; any other provider code
 * becomes `provider_error` (an upstream may put anything there, the key it was sent included).
 */

/** What replaces a provider code outside the known set. */
export const UNKNOWN_PROVIDER_CODE = "provider_error";

/** Anthropic's error types (docs.anthropic.com, "Errors"): the fixed set its SDK and clients branch on. */
export const ANTHROPIC_ERROR_TYPES = [
  "invalid_request_error",
  "authentication_error",
  "billing_error",
  "permission_error",
  "not_found_error",
  "request_too_large",
  "rate_limit_error",
  "timeout_error",
  "api_error",
  "overloaded_error",
] as const;

export type AnthropicErrorType = (typeof ANTHROPIC_ERROR_TYPES)[number];

/** OpenAI's documented error types and codes (OpenAI-compatible hosts reuse them). */
const OPENAI_CODES = [
  "invalid_request_error",
  "authentication_error",
  "permission_error",
  "not_found_error",
  "rate_limit_error",
  "server_error",
  "api_error",
  "tokens",
  "requests",
  "invalid_api_key",
  "invalid_organization",
  "insufficient_quota",
  "billing_not_active",
  "account_deactivated",
  "rate_limit_exceeded",
  "context_length_exceeded",
  "model_not_found",
  "invalid_value",
  "invalid_type",
  "invalid_prompt",
  "invalid_image",
  "invalid_image_url",
  "image_parse_error",
  "missing_required_parameter",
  "unknown_parameter",
  "unsupported_parameter",
  "unsupported_value",
  "unsupported_country_region_territory",
  "string_above_max_length",
  "array_above_max_length",
  "empty_array",
  "integer_below_min_value",
  "integer_above_max_value",
  "decimal_below_min_value",
  "decimal_above_max_value",
  "content_filter",
  "content_policy_violation",
  "engine_overloaded",
  "server_is_overloaded",
  "vector_store_timeout",
] as const;

/** Google's canonical status names (Gemini's OpenAI-compatible errors carry them in `status`). */
const GOOGLE_STATUSES = [
  "INVALID_ARGUMENT",
  "FAILED_PRECONDITION",
  "OUT_OF_RANGE",
  "UNAUTHENTICATED",
  "PERMISSION_DENIED",
  "NOT_FOUND",
  "ABORTED",
  "ALREADY_EXISTS",
  "RESOURCE_EXHAUSTED",
  "CANCELLED",
  "DATA_LOSS",
  "UNKNOWN",
  "INTERNAL",
  "NOT_IMPLEMENTED",
  "UNAVAILABLE",
  "DEADLINE_EXCEEDED",
] as const;

/** Deepgram's `err_code` / `category` values as far as they are documented or observed. */
const DEEPGRAM_CODES = [
  "Bad Request",
  "INVALID_AUTH",
  "INSUFFICIENT_PERMISSIONS",
  "ASR_PAYMENT_REQUIRED",
  "PROJECT_NOT_FOUND",
  "TOO_MANY_REQUESTS",
  "REQUEST_TIMEOUT",
  "INTERNAL_SERVER_ERROR",
  "SERVICE_UNAVAILABLE",
] as const;

const KNOWN: ReadonlySet<string> = new Set<string>([
  ...ANTHROPIC_ERROR_TYPES,
  ...OPENAI_CODES,
  ...GOOGLE_STATUSES,
  ...DEEPGRAM_CODES,
]);

/** True for a code in the closed set, or an HTTP error status written as a number (Google's `code: 400`). */
export function checkKnownProviderCode(code: string): boolean {
  return KNOWN.has(code) || /^[45]\d\d$/.test(code);
}

export function checkAnthropicErrorType(code: string | null): code is AnthropicErrorType {
  return code !== null && (ANTHROPIC_ERROR_TYPES as readonly string[]).includes(code);
}
