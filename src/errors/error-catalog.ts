/**
 * @module errors/error-catalog
 * Every stable error type the gateway answers with: its HTTP status and a safe default message.
 * docs/api.md carries the same table; test/errors/error-catalog-docs.test.ts keeps them equal.
 */

export const errorCatalog = {
  invalid_json: { status: 400, message: "The request body is not valid JSON." },
  invalid_request: { status: 400, message: "The request is malformed." },
  invalid_enrollment: { status: 400, message: "The enrollment body is invalid." },
  enrollment_policy_violation: {
    status: 400,
    message: "The enrollment does not meet the operator's policy.",
  },
  invalid_custom_base_url: { status: 400, message: "The custom base URL is not allowed." },
  invalid_byok_header: { status: 400, message: "An X-BYOK-* header value is malformed." },
  no_route: { status: 400, message: "No route of this feature can serve the request." },
  upstream_rejected: { status: 400, message: "The provider rejected the request (its 4xx status is kept)." },
  missing_credentials: { status: 401, message: "Authorization: Bearer <token> is required." },
  invalid_credentials: { status: 401, message: "The bearer token is not valid." },
  invalid_admin_token: { status: 401, message: "The admin token is missing or wrong." },
  invalid_metrics_token: { status: 401, message: "The metrics token is missing or wrong." },
  quota_exceeded: {
    status: 402,
    message: "The plan's limit for operator-served usage is reached; bring your own key to keep going.",
  },
  byok_key_mismatch: { status: 403, message: "A presented key does not match the enrolled fingerprint." },
  byok_custom_base_url_mismatch: {
    status: 403,
    message: "X-BYOK-Custom-Base-Url differs from the enrolled custom base URL.",
  },
  byok_required: { status: 403, message: "This feature runs only on your own provider key." },
  custom_endpoint_refused: {
    status: 403,
    message: "The custom endpoint was refused by the gateway's egress policy.",
  },
  not_found: { status: 404, message: "No such route." },
  model_not_found: {
    status: 404,
    message: "The model is neither a feature or alias of this app nor a provider/model name.",
  },
  enrollment_not_found: { status: 404, message: "This user has no enrollment." },
  user_not_found: { status: 404, message: "No such user." },
  user_exists: { status: 409, message: "A user with this id already exists." },
  payload_too_large: { status: 413, message: "The request body is too large." },
  unsupported_media_type: { status: 415, message: "The request body must be application/json." },
  request_timeout: { status: 408, message: "The request was not received in time." },
  upgrade_required: { status: 426, message: "This endpoint is a WebSocket: send an upgrade request." },
  rate_limited: { status: 429, message: "Too many requests; retry after the time in Retry-After." },
  request_header_too_large: { status: 431, message: "The request's headers are too large." },
  internal_error: { status: 500, message: "The gateway failed to handle the request." },
  upstream_error: { status: 502, message: "The provider failed or could not be reached." },
  service_unavailable: { status: 503, message: "The gateway is shutting down or not ready." },
  store_unavailable: {
    status: 503,
    message: "The gateway's database cannot be reached right now; retry shortly.",
  },
  quota_unavailable: {
    status: 503,
    message: "Quotas cannot be checked for a moment; operator-served calls are refused until they can.",
  },
  upstream_timeout: { status: 504, message: "The provider did not answer in time." },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorType = keyof typeof errorCatalog;
