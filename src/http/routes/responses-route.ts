/**
 * @module http/routes/responses-route
 * POST /v1/responses: OpenAI's Responses API, streaming and not, on the route the pipeline picks (passed
 * through where the upstream speaks it, translated to Chat Completions or Anthropic Messages elsewhere).
 */
import type { FastifyInstance } from "fastify";
import type { Byok } from "../../library/create-byok.ts";
import { modelCallOf, sendPipelineResponse } from "./send-pipeline-response.ts";

export function registerResponsesRoute(app: FastifyInstance, byok: Byok): void {
  app.post("/v1/responses", { config: { auth: "user", byok: "enforce" } }, async (request, reply) =>
    sendPipelineResponse(
      reply,
      await byok.pipeline.responses(modelCallOf(byok, request, reply), request.body),
    ),
  );
}
