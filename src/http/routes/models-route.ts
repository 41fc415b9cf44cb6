/**
 * @module http/routes/models-route
 * GET /v1/models: the features and direct models this user can use right now, in OpenAI's list shape.
 */
import type { FastifyInstance } from "fastify";
import type { Byok } from "../../library/create-byok.ts";
import "../fastify-types.ts";

export function registerModelsRoute(app: FastifyInstance, byok: Byok): void {
  app.get("/v1/models", { config: { auth: "user", byok: "enforce" } }, async (request) =>
    byok.pipeline.listModels(request.byok!),
  );
}
