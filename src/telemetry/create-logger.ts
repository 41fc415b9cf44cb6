/**
 * @module telemetry/create-logger
 * The pino logger every module logs through; request serializers drop credentials and X-BYOK-* values.
 */
import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger };

export interface LoggerOptions {
  readonly level?: string;
  /** Where lines go; stdout by default. Tests pass a capturing stream. */
  readonly destination?: DestinationStream;
}

const REDACTED = "[redacted]";

/** Headers that carry a credential under a name of their own (SDKs of Azure, Gemini; proxies). */
const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set([
  "authorization",
  "proxy-authorization",
  "x-api-key",
  "api-key",
  "x-goog-api-key",
  "cookie",
  "x-admin-token",
  "sec-websocket-protocol",
]);

/** Whether a header carries a credential or a key (its value is never logged). */
function isSecretHeader(lower: string): boolean {
  return CREDENTIAL_HEADERS.has(lower) || lower.startsWith("x-byok-");
}

/** Settings, not secrets: their values are not looked for in the rest of the request. */
const SETTING_HEADERS: ReadonlySet<string> = new Set(["x-byok-custom-base-url", "x-byok-custom-model"]);
/** Scheme words of credential headers (`Bearer <token>`), not secrets. */
const SCHEMES: ReadonlySet<string> = new Set(["bearer", "token", "basic"]);

/** Shorter values are not searched for elsewhere in the request (the shortest key a relay searches for). */
const MIN_SECRET_LENGTH = 4;

/** The credential and key values a request carries (a bearer token without its scheme), to keep out of the rest. */
function secretValuesOf(headers: Readonly<Record<string, unknown>>): string[] {
  const values: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    const lower = name.toLowerCase();
    if (typeof value !== "string" || !isSecretHeader(lower) || SETTING_HEADERS.has(lower)) continue;
    for (const part of value.split(/[\s,]+/))
      if (part.length >= MIN_SECRET_LENGTH && !SCHEMES.has(part.toLowerCase()) && !values.includes(part))
        values.push(part);
  }
  return values;
}

/** `text` with every one of `secrets` it holds replaced. */
function withoutSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.replaceAll(secret, REDACTED);
  return out;
}

const ESCAPE_RUN = /(?:%[0-9A-Fa-f]{2})+/g;
const decodeRun = (run: string): string => {
  try {
    return decodeURIComponent(run);
  } catch {
    return run; // not UTF-8: left as it is
  }
};

/** A path as logged: percent-decoded where it decodes (an encoded key is still a key), secrets replaced. */
function loggedPath(path: string, secrets: readonly string[]): string {
  if (secrets.length === 0 || !path.includes("%")) return withoutSecrets(path, secrets);
  // Each run of escapes decoded (a malformed one elsewhere stops none of them), until nothing changes (a
  // double-encoded key is still a key), three times at most.
  let decoded = path;
  for (let round = 0; round < 3 && decoded.includes("%"); round++) {
    const next = decoded.replace(ESCAPE_RUN, decodeRun);
    if (next === decoded) break;
    decoded = next;
  }
  return decoded === path || secrets.every((secret) => !decoded.includes(secret))
    ? withoutSecrets(path, secrets)
    : withoutSecrets(decoded, secrets);
}

/** A header name as logged: `[redacted]` when it holds a secret, whatever its case (Node lowercases names). */
function loggedName(name: string, secrets: readonly string[]): string {
  if (secrets.length === 0) return name;
  const lower = name.toLowerCase();
  return secrets.some((secret) => lower.includes(secret.toLowerCase())) ? REDACTED : name;
}

/**
 * Copies request headers with credentials (`authorization`, `x-api-key`, `api-key`, `cookie`, a WebSocket's
 * `sec-websocket-protocol`, …) and every `x-byok-*` value replaced, and any of those values another
 * header's name or value holds too.
 */
export function redactHeaders(
  headers: Readonly<Record<string, unknown>>,
  secrets: readonly string[] = secretValuesOf(headers),
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[loggedName(name, secrets)] = isSecretHeader(name.toLowerCase())
      ? REDACTED
      : typeof value === "string"
        ? withoutSecrets(value, secrets)
        : value;
  }
  return out;
}

interface SerializableRequest {
  readonly id?: unknown;
  readonly method?: string;
  readonly url?: string;
  readonly headers?: Readonly<Record<string, unknown>>;
}

/** A request's path as logged: without the query, and without any credential or key its headers carry. */
export function redactedPath(
  url: string | undefined,
  headers: Readonly<Record<string, unknown>> | undefined,
): string | undefined {
  if (url === undefined) return undefined;
  return loggedPath(url.split("?")[0]!, headers ? secretValuesOf(headers) : []);
}

/** A request as logged: its path without the query, and without any credential or key its headers carry. */
function serializeRequest(request: SerializableRequest): Record<string, unknown> {
  const secrets = request.headers ? secretValuesOf(request.headers) : [];
  const path = typeof request.url === "string" ? request.url.split("?")[0] : undefined;
  return {
    id: request.id,
    method: request.method,
    url: path === undefined ? undefined : loggedPath(path, secrets),
    headers: request.headers ? redactHeaders(request.headers, secrets) : undefined,
  };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      serializers: { req: serializeRequest, request: serializeRequest },
      redact: {
        paths: [
          "headers.authorization",
          "*.headers.authorization",
          'headers["x-api-key"]',
          '*.headers["x-api-key"]',
          "apiKey",
          "*.apiKey",
          "token",
          "*.token",
          "pepper",
          "*.pepper",
          "adminToken",
          "*.adminToken",
        ],
        censor: REDACTED,
      },
    },
    options.destination,
  );
}
