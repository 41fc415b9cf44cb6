/**
 * @module errors/gateway-error
 * The one error class the gateway raises on purpose: a catalog type, its status and a safe message.
 */
import { type ErrorType, errorCatalog } from "./error-catalog.ts";

export interface GatewayErrorOptions {
  /** Safe, caller-facing text; never an upstream body, an address or a key. */
  readonly message?: string;
  /** The request field at fault (OpenAI's `param`), e.g. `fingerprints.openai`. */
  readonly param?: string;
  /** A finer stable code, e.g. an egress reason code. */
  readonly code?: string;
  /** The provider involved, when one is. */
  readonly provider?: string;
  /** Only for `upstream_rejected`: the provider's own 4xx status, kept. */
  readonly status?: number;
  /** Safe response headers to send with the error (`x-byok-route`, `retry-after`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Safe structured fields added to the error body (a quota's plan, meter, used, limit, reset). */
  readonly details?: Readonly<Record<string, string | number | null>>;
}

export class GatewayError extends Error {
  readonly type: ErrorType;
  readonly status: number;
  readonly param: string | null;
  readonly code: string | null;
  readonly provider: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly details: Readonly<Record<string, string | number | null>> | null;

  constructor(type: ErrorType, options: GatewayErrorOptions = {}) {
    super(options.message ?? errorCatalog[type].message);
    this.name = "GatewayError";
    this.type = type;
    this.status =
      type === "upstream_rejected" &&
      options.status !== undefined &&
      options.status >= 400 &&
      options.status < 500
        ? options.status
        : errorCatalog[type].status;
    this.param = options.param ?? null;
    this.code = options.code ?? null;
    this.provider = options.provider ?? null;
    this.headers = options.headers ?? {};
    this.details = options.details ?? null;
  }
}

/** The same error with more safe headers. */
export function withHeaders(error: GatewayError, headers: Readonly<Record<string, string>>): GatewayError {
  Object.defineProperty(error, "headers", { value: { ...error.headers, ...headers } });
  return error;
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}

/** The codes of the errors a cut ends a call with: its user revoked, its keys changed, the shutdown deadline. */
const CUT_CODES: ReadonlySet<string | null | undefined> = new Set([
  "user_revoked",
  "enrollment_changed",
  "shutting_down",
]);

/** True for the error a cut ends a call with (the open-call registry's `cutError`). */
export function isCutError(value: unknown): boolean {
  return value instanceof GatewayError && CUT_CODES.has(value.code);
}
