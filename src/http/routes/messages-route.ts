/**
 * @module http/routes/messages-route
 * POST /v1/messages and /v1/messages/count_tokens: Anthropic's Messages API on the route the pipeline picks;
 * errors in Anthropic's envelope, the gateway token accepted in `x-api-key` as the Anthropic SDK sends it.
 */
import type { FastifyInstance } from "fastify";
import type { Byok } from "../../library/create-byok.ts";
import { modelCallOf, sendPipelineResponse } from "./send-pipeline-response.ts";

const config = { auth: "user", byok: "enforce", dialect: "anthropic" } as const;

export function registerMessagesRoutes(app: FastifyInstance, byok: Byok): void {
  app.post("/v1/messages", { config }, async (request, reply) =>
    sendPipelineResponse(
      reply,
      await byok.pipeline.messages(modelCallOf(byok, request, reply), request.body),
    ),
  );
  app.post("/v1/messages/count_tokens", { config }, async (request, reply) =>
    sendPipelineResponse(
      reply,
      await byok.pipeline.countTokens(modelCallOf(byok, request, reply), request.body),
    ),
  );
}
