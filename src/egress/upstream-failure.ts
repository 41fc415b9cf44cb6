/**
 * @module egress/upstream-failure
 * What an upstream call's failure was: its innermost error code, the stable EgressError reason it maps to,
 * and whether it is a reused keep-alive socket closed before answering (the one failure replayed once).
 */
import { EgressError } from "./egress-error.ts";
import { mapUpstreamError } from "./map-upstream-error.ts";

/** Errors a reused keep-alive socket gives when the server closed it before answering. */
const closedBeforeResponse = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE"]);

/**
 * Whether the failed socket had already carried an answer (undici's socket info: bytes read before this
 * request): a keep-alive socket the server closed as it was reused. A fresh socket that closed or reset,
 * or a failure without that info, may have reached a server that read the request: never sent twice.
 */
function onReusedSocket(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && typeof current === "object" && current !== null; depth++) {
    const socket = (current as { socket?: { bytesRead?: unknown } }).socket;
    if (typeof socket?.bytesRead === "number") return socket.bytesRead > 0;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

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

/**
 * A reused keep-alive socket the server closed before any response byte, on a body that can be sent again:
 * worth one retry (never after a fresh socket's server may have read the request).
 */
export function worthRetry(body: unknown, error: unknown): boolean {
  const code = innermostCode(error);
  const replayable = typeof body === "string" || body === null;
  return replayable && code !== null && closedBeforeResponse.has(code) && onReusedSocket(error);
}
