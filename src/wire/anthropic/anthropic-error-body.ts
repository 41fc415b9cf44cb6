/**
 * @module wire/anthropic/anthropic-error-body
 * Anthropic's error envelope `{"type": "error", "error": {type, message}}`, built only from a GatewayError's
 * safe fields; `error.type` is the gateway's stable type (as on OpenAI routes), the status says the rest.
 */
import type { GatewayError } from "../../errors/gateway-error.ts";

export interface AnthropicErrorBody {
  readonly type: "error";
  readonly error: {
    readonly type: string;
    readonly message: string;
    readonly param?: string;
    readonly code?: string;
    readonly provider?: string;
    readonly [detail: string]: string | number | null | undefined;
  };
}

export function toAnthropicErrorBody(error: GatewayError): AnthropicErrorBody {
  return {
    type: "error",
    error: {
      type: error.type,
      message: error.message,
      ...(error.param === null ? {} : { param: error.param }),
      ...(error.code === null ? {} : { code: error.code }),
      ...(error.provider === null ? {} : { provider: error.provider }),
      ...error.details,
    },
  };
}
