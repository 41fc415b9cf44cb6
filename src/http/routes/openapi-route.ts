/**
 * @module http/routes/openapi-route
 * GET /openapi.json: the gateway's own endpoints in OpenAPI 3.1, built once, on the first request (not held by
 * every serving process).
 */
import { createRequire } from "node:module";
import type { FastifyInstance } from "fastify";
import { buildOpenApiDocument } from "../openapi/build-openapi-document.ts";

const { version } = createRequire(import.meta.url)("../../../package.json") as { version: string };

export function registerOpenApiRoute(app: FastifyInstance): void {
  let document: string | undefined;
  app.get("/openapi.json", (_request, reply) => {
    document ??= JSON.stringify(buildOpenApiDocument(version));
    return reply.type("application/json; charset=utf-8").send(document);
  });
}
