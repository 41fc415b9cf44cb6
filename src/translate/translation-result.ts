/**
 * @module translate/translation-result
 * What every translator answers: the translated value, or a safe error with a stable code and the field at
 * fault. Inner steps raise a TranslationFailure; only `runTranslation` catches it, so callers never see a throw.
 */
import { GatewayError } from "../errors/gateway-error.ts";

/** Stable codes (snake_case, never renamed) carried as the GatewayError `code`. */
export type TranslationErrorCode =
  | "invalid_value"
  | "unsupported_parameter"
  | "unknown_tool_call"
  | "invalid_upstream_response";

export interface TranslationError {
  readonly code: TranslationErrorCode;
  /** Safe, caller-facing text: names fields and values of the caller's own request only. */
  readonly message: string;
  /** The request field at fault, e.g. `messages[2].tool_calls[0].function.arguments`. */
  readonly param: string | null;
}

export type Translation<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: TranslationError };

export class TranslationFailure extends Error {
  readonly error: TranslationError;
  constructor(error: TranslationError) {
    super(error.message);
    this.name = "TranslationFailure";
    this.error = error;
  }
}

export function fail(code: TranslationErrorCode, message: string, param: string | null = null): never {
  throw new TranslationFailure({ code, message, param });
}

export function runTranslation<T>(translate: () => T): Translation<T> {
  try {
    return { ok: true, value: translate() };
  } catch (error) {
    if (error instanceof TranslationFailure) return { ok: false, error: error.error };
    throw error;
  }
}

/** The gateway error to answer with: 400 `invalid_request` for the caller's input, 502 for the provider's. */
export function toGatewayError(error: TranslationError, provider?: string): GatewayError {
  const type = error.code === "invalid_upstream_response" ? "upstream_error" : "invalid_request";
  return new GatewayError(type, {
    message: error.message,
    code: error.code,
    ...(error.param === null ? {} : { param: error.param }),
    ...(provider === undefined ? {} : { provider }),
  });
}
