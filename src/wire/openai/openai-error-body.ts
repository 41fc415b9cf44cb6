/**
 * @module wire/openai/openai-error-body
 * OpenAI's error envelope `{"error": {message, type, param, code}}`, built only from a GatewayError's safe fields.
 */
import type { GatewayError } from "../../errors/gateway-error.ts";

export interface OpenAiErrorBody {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly param: string | null;
    readonly code: string | null;
    readonly provider?: string;
    readonly [detail: string]: string | number | null | undefined;
  };
}

export function toOpenAiErrorBody(error: GatewayError): OpenAiErrorBody {
  return {
    error: {
      message: error.message,
      type: error.type,
      param: error.param,
      code: error.code,
      ...(error.provider === null ? {} : { provider: error.provider }),
      ...error.details,
    },
  };
}
