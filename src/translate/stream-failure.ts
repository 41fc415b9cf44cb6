/**
 * @module translate/stream-failure
 * Why a translated stream stopped early, and the safe gateway error it becomes by default (the provider's
 * own message is kept out: a caller that wants it passes `describeFailure` with its key redaction).
 */
import { GatewayError } from "../errors/gateway-error.ts";
import { eventTooLarge, MAX_SSE_EVENT_BYTES } from "../wire/openai/sse-event-check.ts";

export interface StreamFailure {
  /**
   * `provider_error`: an error event; `truncated`: the stream ended before its end event; `invalid_event`:
   * unreadable data; `event_too_large`: an event over the cap (MAX_SSE_EVENT_BYTES).
   */
  readonly reason: "provider_error" | "truncated" | "invalid_event" | "event_too_large";
  /** The provider's error type (`overloaded_error`, `server_error`, …) for a provider error. */
  readonly providerType: string | null;
  /** The provider's message: untrusted, redact keys before showing it. */
  readonly providerMessage: string | null;
}

export type DescribeStreamFailure = (failure: StreamFailure) => GatewayError;

export function describeStreamFailure(failure: StreamFailure): GatewayError {
  switch (failure.reason) {
    case "provider_error":
      return new GatewayError("upstream_error", {
        message: "The provider failed in the middle of the stream.",
        code: failure.providerType ?? "provider_error",
      });
    case "truncated":
      return new GatewayError("upstream_error", {
        message: "The provider's stream ended before the answer was complete.",
        code: "stream_truncated",
      });
    case "event_too_large":
      return eventTooLarge(MAX_SSE_EVENT_BYTES);
    default:
      return new GatewayError("upstream_error", {
        message: "The provider sent a stream event the gateway could not read.",
        code: "invalid_upstream_event",
      });
  }
}
