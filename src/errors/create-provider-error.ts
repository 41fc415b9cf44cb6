/**
 * @module errors/create-provider-error
 * A GatewayError that carries a provider's error: only through `ProviderErrorFields` (redacted, closed
 * code set, identifier-like param), so no path can copy provider text into a client field unchecked.
 */
import type { ErrorType } from "./error-catalog.ts";
import { GatewayError, type GatewayErrorOptions } from "./gateway-error.ts";
import type { ProviderErrorFields } from "./provider-error-fields.ts";

export interface ProviderErrorOptions
  extends Omit<GatewayErrorOptions, "message" | "code" | "param" | "provider"> {
  readonly provider: string;
  /** Shown after `provider: ` when the provider sent no message. */
  readonly fallbackMessage: string;
}

export function createProviderError(
  type: ErrorType,
  fields: ProviderErrorFields,
  options: ProviderErrorOptions,
): GatewayError {
  const { fallbackMessage, ...rest } = options;
  return new GatewayError(type, {
    ...rest,
    message: `${options.provider}: ${fields.message ?? fallbackMessage}`,
    ...(fields.code === null ? {} : { code: fields.code }),
    ...(fields.param === null ? {} : { param: fields.param }),
  });
}
