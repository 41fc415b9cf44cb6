/**
 * @module wire/deepgram/live-close-codes
 * The close codes of the gateway's live `/v1/listen` socket (docs/speech-to-text.md): a refused or ended
 * session closes with 4000 + the last two digits of its HTTP status (4001 auth, 4002 quota, 4003 key
 * mismatch, 4008 idle, 4029 rate limit), provider failures with 1014 or 1011, and the provider's own codes are relayed.
 */
import { type GatewayError, isCutError } from "../../errors/gateway-error.ts";

export const LIVE_CLOSE = {
  normal: 1000,
  goingAway: 1001,
  internalError: 1011,
  tryAgainLater: 1013,
  /** RFC 6455's "Bad Gateway": the provider failed, could not be reached or dropped the socket. */
  badGateway: 1014,
  /** The gateway's idle limit: no audio and no control message from the client (4000 + 408). */
  idle: 4008,
} as const;

/** A close reason is at most 123 bytes of UTF-8. */
const REASON_BYTES = 123;

export function closeCodeFor(error: GatewayError): number {
  if (error.status >= 400 && error.status < 500) return 4000 + (error.status - 400);
  if (error.status === 502 || error.status === 504) return LIVE_CLOSE.badGateway;
  if (error.status === 503) return LIVE_CLOSE.tryAgainLater;
  return LIVE_CLOSE.internalError;
}

/** Truncates to the close frame's limit without splitting a character. */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= REASON_BYTES) return text;
  let out = "";
  for (const character of text) {
    if (Buffer.byteLength(`${out}${character}…`) > REASON_BYTES) break;
    out += character;
  }
  return `${out}…`;
}

/**
 * `<type>: <message>`, the reason a gateway error closes a socket with; a cut names its code instead
 * (docs/security-model.md: 4001 `user_revoked: …`, 4003 `enrollment_changed: …`).
 */
export function closeReasonFor(error: GatewayError): string {
  return closeReason(`${isCutError(error) ? error.code : error.type}: ${error.message}`);
}

/** The reason of an idle session's close (4008). */
export function idleReason(idleMs: number): string {
  return closeReason(`idle_timeout: no audio and no control message for ${idleMs / 1000} s.`);
}

/** Whether a code may be sent in a close frame (RFC 6455 §7.4). */
export function isSendableCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999)
  );
}

/**
 * The code to pass a peer's close on with: its own when it can be sent and is not one of the gateway's
 * 4000–4099; 1000 for a close frame without a code; null for an abnormal close (no close frame).
 */
export function relayedCloseCode(code: number): number | null {
  if (code === 1005) return LIVE_CLOSE.normal;
  if (!isSendableCloseCode(code)) return null;
  if (code >= 4000 && code <= 4099) return LIVE_CLOSE.badGateway;
  return code;
}
