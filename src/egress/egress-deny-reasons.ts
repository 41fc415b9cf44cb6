/**
 * @module Every egress reason code with its fixed, client-safe message. Codes are stable: a released
 * code is never renamed or reused. docs/egress.md carries the same table (a test compares them).
 */

export const egressDenyReasons = {
  url_invalid: "The URL could not be parsed.",
  url_too_long: "The URL is longer than allowed.",
  scheme_not_allowed: "Only https URLs are allowed.",
  http_not_allowed: "Plain http is not allowed for this host.",
  userinfo_not_allowed: "URLs with a user name or password are not allowed.",
  port_not_allowed: "The URL's port is not allowed.",
  query_not_allowed: "A base URL may not have a query string.",
  fragment_not_allowed: "A base URL may not have a fragment.",
  host_invalid: "The host is not a valid host name or IP address.",
  host_denied: "This host name is not allowed.",
  address_invalid: "The host resolved to something that is not an IP address.",
  address_denied: "The host is or resolves to an address that is not public.",
  metadata_address_denied: "The host is or resolves to a cloud metadata address.",
  resolve_failed: "The host name could not be resolved.",
  resolve_empty: "The host name has no addresses.",
  resolve_timeout: "The host name could not be resolved in time.",
  policy_invalid: "The egress policy options are invalid.",
  dispatcher_not_allowed: "A caller-supplied dispatcher is not allowed on the guarded path.",
  redirect_refused: "The upstream answered with a redirect, which is never followed.",
  connect_failed: "The connection to the upstream failed.",
  connect_timeout: "The connection to the upstream was not established in time.",
  tls_failed: "The upstream's TLS certificate or handshake was rejected.",
  headers_timeout: "The upstream did not send response headers in time.",
  body_timeout: "The upstream stopped sending the response body.",
  total_timeout: "The upstream request exceeded its total time limit.",
  response_too_large: "The upstream response exceeded the size limit.",
  request_failed: "The upstream request failed.",
} as const satisfies Record<string, string>;

export type EgressDenyReason = keyof typeof egressDenyReasons;

export function isEgressDenyReason(value: unknown): value is EgressDenyReason {
  return typeof value === "string" && Object.hasOwn(egressDenyReasons, value);
}
