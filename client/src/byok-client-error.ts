/**
 * @module client/byok-client-error
 * The one error the kit's client throws: the gateway's error envelope, or a network or unreadable answer.
 */

export interface ByokClientErrorFields {
  /** The HTTP status; 0 when the gateway could not be reached or the token function failed. */
  readonly status: number;
  /** The gateway's stable type (`invalid_credentials`, …), or the kit's `network_error` / `token_error` / `unexpected_response`. */
  readonly type: string;
  readonly message: string;
  readonly param?: string | null;
  readonly code?: string | null;
  readonly provider?: string | null;
  readonly retryAfterSeconds?: number | null;
  readonly cause?: unknown;
}

export class ByokClientError extends Error {
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  /** A finer stable code (an egress reason, `token_expired`, …). */
  readonly code: string | null;
  readonly provider: string | null;
  /** From `Retry-After` on a 429 or 503, in seconds. */
  readonly retryAfterSeconds: number | null;

  constructor(fields: ByokClientErrorFields) {
    super(fields.message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = "ByokClientError";
    this.status = fields.status;
    this.type = fields.type;
    this.param = fields.param ?? null;
    this.code = fields.code ?? null;
    this.provider = fields.provider ?? null;
    this.retryAfterSeconds = fields.retryAfterSeconds ?? null;
  }
}

const text = (value: unknown): string | null => (typeof value === "string" ? value : null);

/** The error a non-2xx answer stands for, read from the gateway's `{"error": {...}}` envelope. */
export async function readByokClientError(response: Response): Promise<ByokClientError> {
  const retryAfter = Number.parseInt(response.headers.get("retry-after") ?? "", 10);
  const retryAfterSeconds = Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : null;
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const error = typeof body === "object" && body !== null ? (body as { error?: unknown }).error : undefined;
  if (typeof error !== "object" || error === null || text((error as { type?: unknown }).type) === null) {
    return new ByokClientError({
      status: response.status,
      type: "unexpected_response",
      message: `The gateway answered ${response.status} without an error envelope`,
      retryAfterSeconds,
    });
  }
  const fields = error as Record<string, unknown>;
  return new ByokClientError({
    status: response.status,
    type: text(fields.type)!,
    message: text(fields.message) ?? "",
    param: text(fields.param),
    code: text(fields.code),
    provider: text(fields.provider),
    retryAfterSeconds,
  });
}
