/**
 * @module translate/stream-failure
 * Why a translated stream stopped early, and the safe gateway error it becomes: the provider's code passes
 * only through the closed set of known codes, its message only keys-redacted (and only when the caller
 * gives the redaction of the keys in play), both via `parseProviderErrorFields`.
 */
import { createProviderError } from "../errors/create-provider-error.ts";
import { GatewayError } from "../errors/gateway-error.ts";
import { parseProviderErrorFields } from "../errors/provider-error-fields.ts";
import { eventTooLarge, MAX_SSE_EVENT_BYTES } from "../wire/openai/sse-event-check.ts";

export interface StreamFailure {
  /**
   * `provider_error`: an error event; `truncated`: the stream ended before its end event; `invalid_event`:
   * unreadable data; `event_too_large`: an event over the cap (MAX_SSE_EVENT_BYTES); `too_many_items`: more
   * content blocks or tool calls than MAX_STREAM_ITEMS.
   */
  readonly reason: "provider_error" | "truncated" | "invalid_event" | "event_too_large" | "too_many_items";
  /** The provider's error type (`overloaded_error`, `server_error`, …) for a provider error: untrusted. */
  readonly providerType: string | null;
  /** The provider's message: untrusted, redact keys before showing it. */
  readonly providerMessage: string | null;
}

/** The most content blocks or tool calls one translated answer carries (each holds a little state). */
export const MAX_STREAM_ITEMS = 1024;

export type DescribeStreamFailure = (failure: StreamFailure) => GatewayError;

/** Who failed and how to redact the keys in play; without it the provider's message is left out. */
export interface StreamFailureSource {
  readonly provider: string;
  readonly redact: (text: string) => string;
}

const MID_STREAM = "The provider failed in the middle of the stream.";

export function describeStreamFailure(failure: StreamFailure, source?: StreamFailureSource): GatewayError {
  switch (failure.reason) {
    case "provider_error": {
      const fields = parseProviderErrorFields(
        {
          message: source === undefined ? null : failure.providerMessage,
          code: failure.providerType ?? "provider_error",
        },
        source?.redact ?? (() => ""),
      );
      if (source === undefined)
        return new GatewayError("upstream_error", {
          message: MID_STREAM,
          code: fields.code ?? "provider_error",
        });
      return createProviderError("upstream_error", fields, {
        provider: source.provider,
        fallbackMessage: MID_STREAM,
      });
    }
    case "truncated":
      return new GatewayError("upstream_error", {
        message: "The provider's stream ended before the answer was complete.",
        code: "stream_truncated",
      });
    case "event_too_large":
      return eventTooLarge(MAX_SSE_EVENT_BYTES);
    case "too_many_items":
      return new GatewayError("upstream_error", {
        message: "The provider's answer is larger than the gateway's response cap.",
        code: "response_too_large",
      });
    default:
      return new GatewayError("upstream_error", {
        message: "The provider sent a stream event the gateway could not read.",
        code: "invalid_upstream_event",
      });
  }
}
