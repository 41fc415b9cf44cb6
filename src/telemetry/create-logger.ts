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

/**
 * Copies request headers with credentials (`authorization`, `x-api-key`, `cookie`, a WebSocket's
 * `sec-websocket-protocol`) and every `x-byok-*` value replaced.
 */
export function redactHeaders(headers: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    const secret =
      lower === "authorization" ||
      lower === "x-api-key" ||
      lower === "cookie" ||
      lower === "x-admin-token" ||
      lower === "sec-websocket-protocol" ||
      lower.startsWith("x-byok-");
    out[name] = secret ? REDACTED : value;
  }
  return out;
}

interface SerializableRequest {
  readonly id?: unknown;
  readonly method?: string;
  readonly url?: string;
  readonly headers?: Readonly<Record<string, unknown>>;
}

function serializeRequest(request: SerializableRequest): Record<string, unknown> {
  const url = typeof request.url === "string" ? request.url.split("?")[0] : undefined;
  return {
    id: request.id,
    method: request.method,
    url,
    headers: request.headers ? redactHeaders(request.headers) : undefined,
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
