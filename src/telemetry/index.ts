export { createLogger, type Logger, type LoggerOptions, redactHeaders } from "./create-logger.ts";
