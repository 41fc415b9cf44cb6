/**
 * @module wire/openai/responses-error-event
 * How the gateway ends a Responses API stream with a failure: an `error` event (the spec's
 * ResponseErrorEvent: `type`, `code`, `message`, `param`, `sequence_number`) that also carries the OpenAI
 * error envelope's `error` object, so the official SDKs raise it as an API error.
 */
import type { GatewayError } from "../../errors/gateway-error.ts";
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
