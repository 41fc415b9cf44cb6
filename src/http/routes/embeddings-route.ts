/**
 * @module http/routes/embeddings-route
 * POST /v1/embeddings: OpenAI embeddings (float or base64) on the route the pipeline picks.
 */
import type { FastifyInstance } from "fastify";
import type { Byok } from "../../library/create-byok.ts";
import { modelCallOf, sendPipelineResponse } from "./send-pipeline-response.ts";

export function registerEmbeddingsRoute(app: FastifyInstance, byok: Byok): void {
  app.post("/v1/embeddings", { config: { auth: "user", byok: "enforce" } }, async (request, reply) =>
    sendPipelineResponse(
      reply,
      await byok.pipeline.embeddings(modelCallOf(byok, request, reply), request.body),
    ),
  );
}
