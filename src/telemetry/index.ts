export { createLogger, type Logger, type LoggerOptions, redactHeaders } from "./create-logger.ts";
export { createMetrics, type GatewayMetrics } from "./create-metrics.ts";
