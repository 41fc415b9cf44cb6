/**
 * @module config/load-config
 * Reads the config file (YAML or JSON) and environment overrides, validates once and freezes the result.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { PROVIDER_IDS } from "../keys/provider-ids.ts";
import {
  applyKeyPoolEnv,
  connectionNamedBy,
  connectionsByVariable,
  PROVIDER_KEY_POOL_VARIABLES,
} from "./apply-key-pool-env.ts";
import { ConfigError, type ConfigIssue } from "./config-error.ts";
import { configSchema, type GatewayConfig } from "./config-schema.ts";

/** The YAML parser is loaded only when a config file is read (it also reads JSON), not by every process. */
const parseYaml = (text: string): unknown =>
  (createRequire(import.meta.url)("yaml") as typeof import("yaml")).parse(text);

export interface LoadConfigOptions {
  /** Config file path; otherwise BYOK_CONFIG; otherwise the embedded defaults. */
  readonly file?: string | undefined;
  /** The environment to read (process.env by default). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

type Json = Record<string, unknown>;

/** Environment variable → config path. Secrets belong here rather than in files. */
const ENV_PATHS: ReadonlyArray<
  readonly [string, readonly string[], "string" | "int" | "list" | "bool" | "bool-or-list"]
> = [
  ["BYOK_PEPPER", ["pepper"], "list"],
  ["BYOK_ADMIN_TOKEN", ["adminToken"], "string"],
  ["BYOK_PORT", ["server", "port"], "int"],
  ["BYOK_HOST", ["server", "host"], "string"],
  ["BYOK_METRICS_TOKEN", ["metrics", "token"], "string"],
  ["BYOK_METRICS_PORT", ["metrics", "port"], "int"],
  ["BYOK_METRICS_HOST", ["metrics", "host"], "string"],
  ["BYOK_WORKERS", ["server", "workers"], "int"],
  ["BYOK_WRITE_STALL_TIMEOUT_MS", ["server", "writeStallTimeoutMs"], "int"],
  // The server settings a deployment sets from its platform: the balancer's idle timeout, the pod's grace
  // period, a proxy in front, the largest request body.
  ["BYOK_KEEP_ALIVE_TIMEOUT_MS", ["server", "keepAliveTimeoutMs"], "int"],
  ["BYOK_SHUTDOWN_TIMEOUT_MS", ["server", "shutdownTimeoutMs"], "int"],
  ["BYOK_TRUST_PROXY", ["server", "trustProxy"], "bool-or-list"],
  ["BYOK_BODY_LIMIT_BYTES", ["server", "bodyLimitBytes"], "int"],
  ["BYOK_DATA_DIR", ["dataDir"], "string"],
  ["BYOK_LOG_LEVEL", ["log", "level"], "string"],
  ["BYOK_PRODUCTION", ["production"], "bool"],
  ["BYOK_JWT_SECRET", ["auth", "jwt", "secret"], "string"],
  ["BYOK_DATABASE_URL", ["storage", "postgres", "url"], "string"],
  ["BYOK_REDIS_URL", ["redis", "url"], "string"],
  ...PROVIDER_IDS.map(
    (id) => [`BYOK_${id.toUpperCase()}_API_KEY`, ["providers", id, "apiKey"], "string"] as const,
  ),
];

function setPath(target: Json, path: readonly string[], value: unknown): void {
  let node = target;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[segment] = {};
    node = node[segment] as Json;
  }
  node[path[path.length - 1]!] = value;
}

function readFile(file: string, issues: ConfigIssue[]): Json {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    issues.push({ path: file, message: `cannot read the config file (${code})` });
    return {};
  }
  try {
    const parsed: unknown = parseYaml(text);
    if (parsed === null || parsed === undefined) return {};
    if (typeof parsed !== "object" || Array.isArray(parsed)) {
      issues.push({ path: file, message: "the config file must hold an object at the top level" });
      return {};
    }
    return parsed as Json;
  } catch (error) {
    issues.push({
      path: file,
      message: `not valid YAML or JSON: ${(error as Error).message.split("\n")[0]}`,
    });
    return {};
  }
}

function applyEnv(raw: Json, env: Readonly<Record<string, string | undefined>>, issues: ConfigIssue[]) {
  const origin = new Map<string, string>();
  for (const [name, path, kind] of ENV_PATHS) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    origin.set(path.join("."), name);
    if (kind === "int") {
      if (!/^\d+$/.test(value)) {
        issues.push({ path: name, message: "must be a whole number" });
        origin.delete(path.join("."));
        continue;
      }
      setPath(raw, path, Number(value));
    } else if (kind === "bool-or-list" && /^\s*(true|false)\s*$/i.test(value)) {
      setPath(raw, path, value.trim().toLowerCase() === "true");
    } else if (kind === "list" || kind === "bool-or-list") {
      setPath(
        raw,
        path,
        value
          .split(",")
          .map((part) => part.trim())
          .filter(Boolean),
      );
    } else if (kind === "bool") {
      if (value !== "true" && value !== "false") {
        issues.push({ path: name, message: "must be true or false" });
        origin.delete(path.join("."));
        continue;
      }
      setPath(raw, path, value === "true");
    } else {
      setPath(raw, path, value);
    }
  }
  if (env.NODE_ENV === "production") raw.production = true;
  applyConnectionKeys(raw, env, origin, issues);
  applyKeyPoolEnv(raw, env, origin, issues);
  return origin;
}

/** `BYOK_CONNECTION_<NAME>_API_KEY` → `connections.<name>.apiKey`, for the connections the file declares. */
export const CONNECTION_KEY_VARIABLE = /^BYOK_CONNECTION_([A-Z0-9_]+)_API_KEY$/;

function applyConnectionKeys(
  raw: Json,
  env: Readonly<Record<string, string | undefined>>,
  origin: Map<string, string>,
  issues: ConfigIssue[],
): void {
  const byVariable = connectionsByVariable(raw);
  for (const [variable, value] of Object.entries(env)) {
    if (!CONNECTION_KEY_VARIABLE.test(variable) || value === undefined || value === "") continue;
    const name = connectionNamedBy(byVariable, variable, variable, issues);
    if (name === undefined) continue;
    setPath(raw, ["connections", name, "apiKey"], value);
    origin.set(`connections.${name}.apiKey`, variable);
  }
}

/** Freezes plain objects and arrays all the way down (class instances such as SecretKey are left alone). */
function deepFreeze<T>(value: T): T {
  const plain =
    Array.isArray(value) ||
    (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype);
  if (plain && !Object.isFrozen(value)) {
    for (const inner of Object.values(value as object)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function envFor(path: readonly PropertyKey[], origin: ReadonlyMap<string, string>): string | undefined {
  for (let length = path.length; length > 0; length--) {
    const name = origin.get(path.slice(0, length).map(String).join("."));
    if (name !== undefined) return name;
  }
  return undefined;
}

const parsedConfigs = new WeakSet<object>();

/** True for a config that parseConfig/loadConfig produced (so it is never validated twice). */
export function isParsedConfig(value: unknown): value is GatewayConfig {
  return typeof value === "object" && value !== null && parsedConfigs.has(value);
}

/** Validates a raw config object (file contents with env already applied). Throws ConfigError. */
export function parseConfig(raw: unknown, origin: ReadonlyMap<string, string> = new Map()): GatewayConfig {
  const issues: ConfigIssue[] = [];
  let input = raw;
  if (typeof raw === "object" && raw !== null && Object.hasOwn(raw, "store")) {
    // The section was renamed when PostgreSQL joined: said plainly rather than as an unknown key.
    const { store: _removed, ...rest } = raw as Record<string, unknown>;
    input = rest;
    issues.push({
      path: "store",
      message: "the store section was removed: set storage.sqlite.path (or storage.postgres.url) instead",
    });
  }
  const result = configSchema.safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const path = issue.path.map(String).join(".") || "(root)";
      const envName = envFor(issue.path, origin);
      issues.push({ path: envName ? `${path} (from ${envName})` : path, message: issue.message });
    }
    throw new ConfigError(issues);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  const config = result.data;
  if (config.production && config.pepper === undefined) {
    throw new ConfigError([
      {
        path: "pepper",
        message: "production mode requires a configured pepper (set BYOK_PEPPER or `pepper`)",
      },
    ]);
  }
  parsedConfigs.add(config);
  return deepFreeze(config);
}

export function loadConfig(options: LoadConfigOptions = {}): GatewayConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? env.BYOK_CONFIG;
  const issues: ConfigIssue[] = [];
  const raw = file ? readFile(file, issues) : {};
  const origin = applyEnv(raw, env, issues);
  if (issues.length === 0) return parseConfig(raw, origin);
  // The file's and the environment's problems are reported with the schema's, all at once.
  try {
    parseConfig(raw, origin);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError([...issues, ...error.issues]);
    throw error;
  }
  throw new ConfigError(issues);
}

/**
 * Every environment variable the configuration reads (the deployment files' check in test/deploy/ uses it),
 * besides the per-connection keys, which match CONNECTION_KEY_VARIABLE and CONNECTION_KEY_POOL_VARIABLE.
 */
export const CONFIG_ENVIRONMENT_VARIABLES: readonly string[] = Object.freeze([
  "BYOK_CONFIG",
  "NODE_ENV",
  ...ENV_PATHS.map(([name]) => name),
  ...PROVIDER_KEY_POOL_VARIABLES,
]);
