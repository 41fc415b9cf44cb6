export { ConfigError, type ConfigIssue } from "./config-error.ts";
export { configSchema, type GatewayConfig, type GatewayConfigInput } from "./config-schema.ts";
export { isParsedConfig, type LoadConfigOptions, loadConfig, parseConfig } from "./load-config.ts";
