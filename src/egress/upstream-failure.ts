/**
 * @module egress/upstream-failure
 * What an outbound call's failure means: the stable EgressError it maps to, and whether it is worth one retry.
 */
import { EgressError } from "./egress-error.ts";
import { mapUpstreamError } from "./map-upstream-error.ts";

/** Errors a reused keep-alive socket gives when the server closed it before answering. */
const closedBeforeResponse = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE"]);

export function innermostCode(error: unknown): string | null {
  let current: unknown = error;
  let code: string | null = null;
  for (let depth = 0; depth < 6 && typeof current === "object" && current !== null; depth++) {
    const value = (current as { code?: unknown }).code;
    if (typeof value === "string") code ??= value;
    current = (current as { cause?: unknown }).cause;
  }
  return code;
}

/** Maps whatever a call or its body stream threw to an EgressError with a stable reason. */
export function toUpstreamFailure(error: unknown): EgressError {
  if (error instanceof EgressError) return error;
  if (innermostCode(error) === "UND_ERR_RES_EXCEEDED_MAX_SIZE") return new EgressError("response_too_large");
  return new EgressError(mapUpstreamError(error).reason);
}

/** The socket closed before any response byte, on a body that can be sent again: worth one retry. */
export function worthRetry(body: unknown, error: unknown): boolean {
  const code = innermostCode(error);
  const replayable = typeof body === "string" || body === null;
  return replayable && code !== null && closedBeforeResponse.has(code);
}
