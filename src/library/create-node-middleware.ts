/**
 * @module library/create-node-middleware
 * A Connect/Express-style `(request, response, next)` adapter: authenticates, validates, sets X-BYOK-Status
 * and runs the rest of the chain inside the request context.
 */
import { isGatewayError } from "../errors/gateway-error.ts";
import { ByokRejectedError } from "../validation/create-byok-validator.ts";
import { toOpenAiErrorBody } from "../wire/openai/openai-error-body.ts";
import type { AuthenticateAndValidateOptions, Byok } from "./create-byok.ts";

/** The parts of Node's IncomingMessage and ServerResponse this adapter uses. */
export interface NodeRequestLike {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}
export interface NodeResponseLike {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

export function createNodeMiddleware(byok: Byok, options: AuthenticateAndValidateOptions = {}) {
  return (request: NodeRequestLike, response: NodeResponseLike, next: (error?: unknown) => void): void => {
    byok.handle(request.headers, options).then(
      (context) => {
        response.setHeader("x-byok-status", context.byok.statusHeader);
        byok.run(context, () => next());
      },
      (error: unknown) => {
        if (!isGatewayError(error)) {
          next(error);
          return;
        }
        if (error instanceof ByokRejectedError) response.setHeader("x-byok-status", error.statusHeader);
        if (error.status === 401) response.setHeader("www-authenticate", "Bearer");
        response.statusCode = error.status;
        response.setHeader("content-type", "application/json; charset=utf-8");
        response.end(JSON.stringify(toOpenAiErrorBody(error)));
      },
    );
  };
}
