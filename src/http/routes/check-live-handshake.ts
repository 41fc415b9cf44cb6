/**
 * @module http/routes/check-live-handshake
 * Everything `ws` would refuse in a live `/v1/listen` upgrade (RFC 6455 §4.2.1), checked before
 * authentication and before any provider socket opens, with the status it deserves: 426 (with
 * `Sec-WebSocket-Version: 13`) for another version, 400 for a bad key or a malformed subprotocol list.
 */
import type { IncomingHttpHeaders } from "node:http";
import { GatewayError } from "../../errors/gateway-error.ts";

export type LiveHandshakeDecision =
  | { readonly ok: true }
  | { readonly ok: false; readonly error: GatewayError };

/** RFC 7230 `token` characters. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const KEY = /^[+/0-9A-Za-z]{22}==$/;

const refuse = (error: GatewayError): LiveHandshakeDecision => ({ ok: false, error });

/** A `Sec-WebSocket-Protocol` value: comma-separated tokens, none empty, none repeated. */
function isProtocolList(value: string): boolean {
  const seen = new Set<string>();
  for (const element of value.split(",")) {
    const token = element.replace(/^[ \t]+|[ \t]+$/g, "");
    if (!TOKEN.test(token) || seen.has(token)) return false;
    seen.add(token);
  }
  return true;
}

export function checkLiveHandshake(headers: IncomingHttpHeaders): LiveHandshakeDecision {
  if (headers.upgrade?.toLowerCase() !== "websocket") {
    return refuse(
      new GatewayError("invalid_request", {
        message: "The Upgrade header must be `websocket`.",
        param: "upgrade",
      }),
    );
  }
  if (headers["sec-websocket-version"] !== "13") {
    return refuse(
      new GatewayError("upgrade_required", {
        message: "Only WebSocket version 13 (RFC 6455) is supported.",
        headers: { "sec-websocket-version": "13" },
      }),
    );
  }
  const key = headers["sec-websocket-key"];
  if (typeof key !== "string" || !KEY.test(key.trim())) {
    return refuse(
      new GatewayError("invalid_request", {
        message: "Sec-WebSocket-Key must be 16 random bytes in base64.",
        param: "sec-websocket-key",
      }),
    );
  }
  const protocols = headers["sec-websocket-protocol"];
  if (protocols !== undefined && !isProtocolList(protocols)) {
    return refuse(
      new GatewayError("invalid_request", {
        message: "Sec-WebSocket-Protocol must be a list of distinct tokens separated by commas.",
        param: "sec-websocket-protocol",
      }),
    );
  }
  return { ok: true };
}
