/**
 * @module http/routes/send-pipeline-response
 * The bridge from Fastify to the pipeline: an abort signal that fires when the client leaves before the
 * response is finished, and a pipeline response written as it is (a string, or a stream relayed as it arrives).
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ModelCall, PipelineResponse } from "../../pipeline/index.ts";
import "../fastify-types.ts";

export function modelCallOf(request: FastifyRequest, reply: FastifyReply): ModelCall {
  const controller = new AbortController();
  const raw = reply.raw;
  raw.once("close", () => {
    if (!raw.writableFinished) controller.abort();
  });
  const { userId, plan } = request.principal!;
  // The controller is this call's alone: the pipeline aborts it on a cut rather than chaining another.
  return { userId, plan, byok: request.byok!, signal: controller.signal, controller };
}

export function sendPipelineResponse(reply: FastifyReply, response: PipelineResponse): FastifyReply {
  return reply.code(response.status).headers(response.headers).send(response.body);
}
