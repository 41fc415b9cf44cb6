/**
 * @module library/ai-sdk/gateway-error-to-api-call-error
 * The gateway's refusals (a thrown `GatewayError`, or an error event inside a stream) as the AI SDK's
 * `APICallError`: the status, `isRetryable` for 429 and 5xx, the gateway's type in `data`; safe text only.
 */
import { APICallError } from "@ai-sdk/provider";
import { type ErrorType, errorCatalog } from "../../errors/error-catalog.ts";
import { isGatewayError } from "../../errors/gateway-error.ts";
import { toOpenAiErrorBody } from "../../wire/openai/openai-error-body.ts";

/** What an `APICallError` from these models carries in `data`. */
export interface ByokErrorData {
  /** The gateway's stable error type (`quota_exceeded`, `byok_required`, `upstream_rejected`, …). */
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  readonly provider: string | null;
}

/** Where the call went, for the error's `url`: the gateway endpoint the same call would use over HTTP. */
export interface CallTarget {
  readonly url: string;
  readonly requestBody: unknown;
}

function isRetryableStatus(status: number | undefined): boolean {
  return status !== undefined && (status === 408 || status === 429 || status >= 500);
}

/** A thrown error as the AI SDK expects it: a `GatewayError` becomes an `APICallError`; others pass as they are. */
export function gatewayErrorToApiCallError(error: unknown, target: CallTarget): unknown {
  if (!isGatewayError(error)) return error;
  const data: ByokErrorData = {
    type: error.type,
    code: error.code,
    param: error.param,
    provider: error.provider,
  };
  return new APICallError({
    message: error.message,
    url: target.url,
    requestBodyValues: target.requestBody,
    statusCode: error.status,
    responseHeaders: { ...error.headers },
    responseBody: JSON.stringify(toOpenAiErrorBody(error)),
    isRetryable: isRetryableStatus(error.status),
    data,
    cause: error,
  });
}

function readField(record: Readonly<Record<string, unknown>>, name: string): string | null {
  const value = record[name];
  return typeof value === "string" ? value.slice(0, 200) : null;
}

/**
 * An OpenAI error envelope as read from a body or a stream's error event (the gateway writes only safe
 * fields there) as an `APICallError`; the status is the catalog's for a gateway type, else `fallbackStatus`.
 */
export function errorBodyToApiCallError(
  body: unknown,
  target: CallTarget,
  fallbackStatus: number | undefined,
): APICallError {
  const envelope =
    typeof body === "object" && body !== null && !Array.isArray(body)
      ? (body as { error?: unknown }).error
      : undefined;
  const record =
    typeof envelope === "object" && envelope !== null && !Array.isArray(envelope)
      ? (envelope as Record<string, unknown>)
      : {};
  const type = readField(record, "type") ?? "upstream_error";
  const statusCode = Object.hasOwn(errorCatalog, type)
    ? errorCatalog[type as ErrorType].status
    : fallbackStatus;
  const data: ByokErrorData = {
    type,
    code: readField(record, "code"),
    param: readField(record, "param"),
    provider: readField(record, "provider"),
  };
  return new APICallError({
    message: (readField(record, "message") ?? "The model call failed.").slice(0, 1000),
    url: target.url,
    requestBodyValues: target.requestBody,
    ...(statusCode === undefined ? {} : { statusCode }),
    isRetryable: isRetryableStatus(statusCode),
    data,
  });
}
