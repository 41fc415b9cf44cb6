/**
 * @module client/byok-client-error
 * The gateway's error envelope as a thrown error: status, stable type, message and param.
 */
export class ByokClientError extends Error {
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;

  constructor(
    status: number,
    type: string,
    message: string,
    param: string | null,
    code: string | null = null,
  ) {
    super(message);
    this.name = "ByokClientError";
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
  }
}
