/**
 * @module http/routes/chat-completions-route
 * POST /v1/chat/completions: OpenAI Chat Completions, streaming and not, on the route the pipeline picks.
 */
import type { FastifyInstance } from "fastify";
import type { Byok } from "../../library/create-byok.ts";
import { modelCallOf, sendPipelineResponse } from "./send-pipeline-response.ts";

export function registerChatCompletionsRoute(app: FastifyInstance, byok: Byok): void {
  app.post("/v1/chat/completions", { config: { auth: "user", byok: "enforce" } }, async (request, reply) =>
    sendPipelineResponse(
      reply,
      await byok.pipeline.chatCompletions(modelCallOf(byok, request, reply), request.body),
    ),
  );
}
