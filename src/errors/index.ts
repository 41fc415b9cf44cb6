export { type ErrorType, errorCatalog } from "./error-catalog.ts";
export { GatewayError, type GatewayErrorOptions, isGatewayError } from "./gateway-error.ts";
