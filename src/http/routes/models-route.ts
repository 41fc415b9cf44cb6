/**
 * @module http/routes/models-route
 * GET /v1/models: the features and direct models this user can use right now, in OpenAI's list shape;
 * GET /v1/models/{model}: one of them (an id may hold `/`, sent raw or as `%2F`: a wildcard takes the rest).
 */
import type { FastifyInstance } from "fastify";
import type { Byok } from "../../library/create-byok.ts";
import "../fastify-types.ts";

export function registerModelsRoute(app: FastifyInstance, byok: Byok): void {
  const config = { auth: "user", byok: "enforce" } as const;
  app.get("/v1/models", { config }, async (request) => byok.pipeline.listModels(request.byok!));
  app.get<{ Params: { "*": string } }>("/v1/models/*", { config }, async (request) =>
    byok.pipeline.retrieveModel(request.byok!, request.params["*"]),
  );
}
