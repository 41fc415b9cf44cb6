/**
 * @module wire/deepgram/deepgram-error-body
 * Deepgram's error envelope `{err_code, err_msg, request_id}` for `/v1/listen`, built only from a
 * GatewayError's safe fields; `err_code` is the gateway's stable type, as `type` is on OpenAI routes.
 */
import type { GatewayError } from "../../errors/gateway-error.ts";

export interface DeepgramErrorBody {
  readonly err_code: string;
  readonly err_msg: string;
  readonly request_id: string;
  readonly param?: string;
  readonly code?: string;
  readonly provider?: string;
  readonly [detail: string]: string | number | null | undefined;
}

export function toDeepgramErrorBody(error: GatewayError, requestId: string): DeepgramErrorBody {
  return {
    err_code: error.type,
    err_msg: error.message,
    request_id: requestId,
    ...(error.param === null ? {} : { param: error.param }),
    ...(error.code === null ? {} : { code: error.code }),
    ...(error.provider === null ? {} : { provider: error.provider }),
    ...error.details,
  };
}
