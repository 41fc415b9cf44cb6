/**
 * @module wire/openai/responses-error-event
 * How the gateway ends a Responses API stream with a failure: an `error` event (the spec's
 * ResponseErrorEvent: `type`, `code`, `message`, `param`, `sequence_number`) that also carries the OpenAI
 * error envelope's `error` object, so the official SDKs raise it as an API error; then, when the stream
 * has a Response, the terminal `response.failed` (ResponseFailedEvent) numbered after it, carrying that
 * Response with `status: "failed"` and `error: {code, message}`.
 */
import type { GatewayError } from "../../errors/gateway-error.ts";
import { mapResponseErrorCode } from "./map-response-error-code.ts";
import { toOpenAiErrorBody } from "./openai-error-body.ts";

export function encodeResponsesErrorEvent(failure: GatewayError, sequenceNumber: number): string {
  const { error } = toOpenAiErrorBody(failure);
  const event = {
    type: "error",
    code: failure.code ?? failure.type,
    message: failure.message,
    param: failure.param,
    sequence_number: sequenceNumber,
    error,
  };
  return `event: error\ndata: ${JSON.stringify(event)}\n\n`;
}

/** A failed Response's `error` member (the spec's ResponseError). */
export function responseErrorOf(failure: GatewayError): { code: string; message: string } {
  return { code: mapResponseErrorCode(failure), message: failure.message };
}

/** The terminal `response.failed` event for a Response snapshot (its status and error set here). */
export function encodeResponseFailedEvent(
  failure: GatewayError,
  sequenceNumber: number,
  response: Readonly<Record<string, unknown>>,
): string {
  const failed = {
    ...response,
    status: "failed",
    completed_at: null,
    error: responseErrorOf(failure),
    incomplete_details: null,
  };
  const event = { type: "response.failed", response: failed, sequence_number: sequenceNumber };
  return `event: response.failed\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * The end of a failed stream: the `error` event at `sequenceNumber`, then `response.failed` for the
 * stream's Response (none when no Response was announced: the error event alone ends it).
 */
export function encodeResponsesFailure(
  failure: GatewayError,
  sequenceNumber: number,
  response: Readonly<Record<string, unknown>> | null,
): string {
  const error = encodeResponsesErrorEvent(failure, sequenceNumber);
  return response === null ? error : error + encodeResponseFailedEvent(failure, sequenceNumber + 1, response);
}
