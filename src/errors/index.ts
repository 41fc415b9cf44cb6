export { createProviderError, type ProviderErrorOptions } from "./create-provider-error.ts";
export { type ErrorType, errorCatalog } from "./error-catalog.ts";
export {
  GatewayError,
  type GatewayErrorOptions,
  isCutError,
  isGatewayError,
  withHeaders,
} from "./gateway-error.ts";
export {
  ANTHROPIC_ERROR_TYPES,
  type AnthropicErrorType,
  checkAnthropicErrorType,
  checkKnownProviderCode,
  UNKNOWN_PROVIDER_CODE,
} from "./known-provider-codes.ts";
export {
  PROVIDER_MESSAGE_LIMIT,
  type ProviderErrorFields,
  type ProviderErrorText,
  parseProviderErrorFields,
} from "./provider-error-fields.ts";
