/**
 * @module wire/anthropic/map-anthropic-error-type
 * The gateway's error types → Anthropic's fixed set, by a table that names every catalog type (the
 * compiler and test/errors/anthropic-error-envelope.test.ts keep it complete). A provider's rejection
 * keeps the provider's own Anthropic type when it is one, else is named by its status.
 */
import type { ErrorType } from "../../errors/error-catalog.ts";
import { type AnthropicErrorType, checkAnthropicErrorType } from "../../errors/known-provider-codes.ts";

export const ANTHROPIC_TYPE_OF = {
  invalid_json: "invalid_request_error",
  invalid_request: "invalid_request_error",
  invalid_enrollment: "invalid_request_error",
  enrollment_policy_violation: "invalid_request_error",
  invalid_custom_base_url: "invalid_request_error",
  invalid_byok_header: "invalid_request_error",
  no_route: "invalid_request_error",
  upstream_rejected: "invalid_request_error",
  missing_credentials: "authentication_error",
  invalid_credentials: "authentication_error",
  invalid_admin_token: "authentication_error",
  invalid_metrics_token: "authentication_error",
  quota_exceeded: "billing_error",
  byok_key_mismatch: "permission_error",
  byok_custom_base_url_mismatch: "permission_error",
  byok_required: "permission_error",
  custom_endpoint_refused: "permission_error",
  not_found: "not_found_error",
  model_not_found: "not_found_error",
  enrollment_not_found: "not_found_error",
  user_not_found: "not_found_error",
  user_exists: "invalid_request_error",
  payload_too_large: "request_too_large",
  unsupported_media_type: "invalid_request_error",
  request_timeout: "invalid_request_error",
  upgrade_required: "invalid_request_error",
  rate_limited: "rate_limit_error",
  request_header_too_large: "invalid_request_error",
  internal_error: "api_error",
  upstream_error: "api_error",
  service_unavailable: "overloaded_error",
  store_unavailable: "api_error",
  quota_unavailable: "overloaded_error",
  upstream_timeout: "timeout_error",
} as const satisfies Record<ErrorType, AnthropicErrorType>;

/** A provider's 4xx, named by its status when the provider gave no Anthropic type. */
const REJECTED_BY_STATUS: Readonly<Record<number, AnthropicErrorType>> = {
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  408: "timeout_error",
  413: "request_too_large",
  429: "rate_limit_error",
};

/** Server-side types a provider's failure (5xx, mid-stream error) may keep; 4xx types would mislead here. */
const FAILED_KEEPS: ReadonlySet<AnthropicErrorType> = new Set([
  "api_error",
  "overloaded_error",
  "timeout_error",
]);

export interface AnthropicTypedError {
  readonly type: ErrorType;
  readonly status: number;
  readonly code: string | null;
}

export function mapAnthropicErrorType(error: AnthropicTypedError): AnthropicErrorType {
  if (error.type === "upstream_rejected") {
    if (checkAnthropicErrorType(error.code)) return error.code;
    return REJECTED_BY_STATUS[error.status] ?? ANTHROPIC_TYPE_OF.upstream_rejected;
  }
  if (
    error.type === "upstream_error" &&
    checkAnthropicErrorType(error.code) &&
    FAILED_KEEPS.has(error.code)
  ) {
    return error.code;
  }
  return ANTHROPIC_TYPE_OF[error.type];
}
