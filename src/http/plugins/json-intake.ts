/**
 * @module http/plugins/json-intake
 * The one JSON body parser of every route (chat, embeddings, messages, enrollment, admin, listen's JSON
 * body, tickets): the nesting depth is checked first, in linear time, against `server.maxJsonDepth`
 * (`400 invalid_request` naming the limit), then Fastify's own parser (prototype poisoning refused).
 * Authentication (onRequest) still runs before the body is read.
 */
import type { FastifyInstance } from "fastify";
import { GatewayError } from "../../errors/gateway-error.ts";
import { checkJsonDepth } from "../../wire/check-json-depth.ts";

export function registerJsonIntake(app: FastifyInstance, maxDepth: number): void {
  const parse = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = body as string;
    if (!checkJsonDepth(text, maxDepth)) {
      done(
        new GatewayError("invalid_request", {
          message: `The JSON body nests deeper than ${maxDepth} levels (server.maxJsonDepth).`,
          code: "json_too_deep",
        }),
        undefined,
      );
      return;
    }
    parse(request, text, done);
  });
}
