/**
 * @module http/plugins/error-envelope
 * Every error answers in its route's dialect envelope (OpenAI's, Anthropic's or Deepgram's; unknown routes
 * OpenAI's) with a stable type; nothing unsafe leaks.
 */
import type { FastifyError, FastifyInstance } from "fastify";
import { GatewayError, isGatewayError } from "../../errors/gateway-error.ts";
import { ByokRejectedError } from "../../validation/create-byok-validator.ts";
import { toAnthropicErrorBody } from "../../wire/anthropic/anthropic-error-body.ts";
import { toDeepgramErrorBody } from "../../wire/deepgram/deepgram-error-body.ts";
import { toOpenAiErrorBody } from "../../wire/openai/openai-error-body.ts";
import "../fastify-types.ts";

/** Maps Fastify's own errors (body parsing, limits) to catalog types. */
function fromFastifyError(error: FastifyError): GatewayError {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new GatewayError("payload_too_large");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new GatewayError("unsupported_media_type");
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new GatewayError("invalid_json");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new GatewayError("invalid_json", {
        message: "The request body is empty; a JSON body is required.",
      });
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new GatewayError("invalid_request", { message: "Content-Length does not match the body." });
  }
  if (error instanceof SyntaxError && error.statusCode === 400) return new GatewayError("invalid_json");
  if (error.validation) return new GatewayError("invalid_request", { message: error.message });
  if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) {
    return new GatewayError("invalid_request");
  }
  return new GatewayError("internal_error");
}

export function registerErrorEnvelope(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | GatewayError, request, reply) => {
    const gatewayError = isGatewayError(error) ? error : fromFastifyError(error);
    const userId = request.principal?.userId;
    if (gatewayError.status >= 500) request.log.error({ err: error, userId }, "request failed");
    else
      request.log.info(
        { type: gatewayError.type, provider: gatewayError.provider ?? undefined, userId },
        "request refused",
      );
    if (error instanceof ByokRejectedError) reply.header("x-byok-status", error.statusHeader);
    for (const [name, value] of Object.entries(gatewayError.headers)) reply.header(name, value);
    // Only the gateway's own authentication asks for credentials; a provider's 401 is not about them.
    if (gatewayError.status === 401 && gatewayError.type !== "upstream_rejected") {
      reply.header("www-authenticate", "Bearer");
    }
    const dialect = request.routeOptions.config?.dialect ?? "openai";
    return reply
      .status(gatewayError.status)
      .send(
        dialect === "anthropic"
          ? toAnthropicErrorBody(gatewayError)
          : dialect === "deepgram"
            ? toDeepgramErrorBody(gatewayError, request.id)
            : toOpenAiErrorBody(gatewayError),
      );
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new GatewayError("not_found", {
      // The path is not echoed: a client may have put a key in it by mistake.
      message: `No route for this ${request.method} path; docs/api.md lists the gateway's routes.`,
    });
    return reply.status(404).send(toOpenAiErrorBody(error));
  });
}
