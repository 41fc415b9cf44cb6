export {
  createLogger,
  type Logger,
  type LoggerOptions,
  redactedPath,
  redactHeaders,
} from "./create-logger.ts";
export { createMetrics, type GatewayMetrics } from "./create-metrics.ts";
export { createLazyChildLogger } from "./lazy-child-logger.ts";
