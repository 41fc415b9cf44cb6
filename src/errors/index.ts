export { type ErrorType, errorCatalog } from "./error-catalog.ts";
export { GatewayError, type GatewayErrorOptions, isGatewayError, withHeaders } from "./gateway-error.ts";
