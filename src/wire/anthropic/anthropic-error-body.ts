/**
 * @module wire/anthropic/anthropic-error-body
 * Anthropic's error envelope `{"type": "error", "error": {type, message}}`, built only from a GatewayError's
 * safe fields: `error.type` is one of Anthropic's fixed types (mapAnthropicErrorType), the gateway's own
 * stable type is kept in `error.gateway_type`.
 */
import type { GatewayError } from "../../errors/gateway-error.ts";
import type { AnthropicErrorType } from "../../errors/known-provider-codes.ts";
import { mapAnthropicErrorType } from "./map-anthropic-error-type.ts";

export interface AnthropicErrorBody {
  readonly type: "error";
  readonly error: {
    readonly type: AnthropicErrorType;
    readonly message: string;
    /** The gateway's stable error type (docs/api.md), as `error.type` on OpenAI routes. */
    readonly gateway_type: string;
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
      ...error.details,
      type: mapAnthropicErrorType(error),
      message: error.message,
      gateway_type: error.type,
      ...(error.param === null ? {} : { param: error.param }),
      ...(error.code === null ? {} : { code: error.code }),
      ...(error.provider === null ? {} : { provider: error.provider }),
    },
  };
}
