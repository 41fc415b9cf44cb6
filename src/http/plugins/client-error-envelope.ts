/**
 * @module http/plugins/client-error-envelope
 * Requests Node's HTTP parser rejects before Fastify sees them (bare CR/LF/NUL in a header, conflicting
 * Content-Length and Transfer-Encoding, oversized headers, garbage, a request not received in time) answer
 * the documented envelope (OpenAI's, as for unknown routes) with `Connection: close`, then the socket is
 * closed. Only the parser's error code is logged: the raw bytes may hold keys.
 */
import type { FastifyServerOptions } from "fastify";
import { GatewayError } from "../../errors/gateway-error.ts";
import type { Logger } from "../../telemetry/index.ts";
import { toOpenAiErrorBody } from "../../wire/openai/openai-error-body.ts";

type ClientErrorHandler = NonNullable<FastifyServerOptions["clientErrorHandler"]>;
type ClientSocket = Parameters<ClientErrorHandler>[1];

const REASON_PHRASES: Readonly<Record<number, string>> = {
  400: "Bad Request",
  408: "Request Timeout",
  413: "Payload Too Large",
  431: "Request Header Fields Too Large",
};

/** Node's parser codes (`HPE_INVALID_HEADER_TOKEN`, …) are stable and carry no request bytes. */
const codeOf = (error: NodeJS.ErrnoException): string =>
  typeof error.code === "string" && /^HPE_[A-Z_]{1,60}$/.test(error.code)
    ? error.code.slice(4).toLowerCase()
    : "malformed_http";

export function mapClientError(error: NodeJS.ErrnoException): GatewayError {
  switch (error.code) {
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return new GatewayError("request_timeout");
    case "HPE_HEADER_OVERFLOW":
      return new GatewayError("request_header_too_large");
    default:
      return new GatewayError("invalid_request", {
        message: "The HTTP request is malformed; the connection is closed.",
        code: codeOf(error),
      });
  }
}

/**
 * Node's own rule: answer only when no response on this socket has started (a response whose headers are
 * out must not be interleaved with ours; the socket is just closed).
 */
const responseStarted = (socket: ClientSocket): boolean =>
  (socket as unknown as { _httpMessage?: { _headerSent?: boolean } | null })._httpMessage?._headerSent ===
  true;

export function createClientErrorHandler(logger: Logger): ClientErrorHandler {
  return (error, socket) => {
    if (error.code === "ECONNRESET" || socket.destroyed) return;
    const gatewayError = mapClientError(error);
    logger.debug({ code: error.code ?? null, status: gatewayError.status }, "client error");
    if (socket.writable && !responseStarted(socket)) {
      const body = JSON.stringify(toOpenAiErrorBody(gatewayError));
      socket.write(
        `HTTP/1.1 ${gatewayError.status} ${REASON_PHRASES[gatewayError.status] ?? "Bad Request"}\r\n` +
          "Content-Type: application/json; charset=utf-8\r\n" +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          "Connection: close\r\n\r\n" +
          body,
      );
    }
    socket.destroy();
  };
}
