/**
 * @module http/routes/send-pipeline-response
 * The bridge from Fastify to the pipeline: an abort signal that fires when the client leaves before the
 * response is finished, and a pipeline response written as it is (a string, or a stream relayed as it arrives).
 */
import type { ServerResponse } from "node:http";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ModelCall, PipelineResponse } from "../../pipeline/index.ts";
import "../fastify-types.ts";

const CALL_CONTROLLER = Symbol("callController");
type CalledResponse = ServerResponse & { [CALL_CONTROLLER]?: AbortController };

/** One listener shared by every call (no closure per request): the client left before the end. */
function abortUnfinished(this: CalledResponse): void {
  if (!this.writableFinished) this[CALL_CONTROLLER]?.abort();
}

export function modelCallOf(request: FastifyRequest, reply: FastifyReply): ModelCall {
  const controller = new AbortController();
  const raw = reply.raw as CalledResponse;
  raw[CALL_CONTROLLER] = controller;
  raw.on("close", abortUnfinished);
  const { userId, plan } = request.principal!;
  // The controller is this call's alone: the pipeline aborts it on a cut rather than chaining another.
  return { userId, plan, byok: request.byok!, signal: controller.signal, controller };
}

export function sendPipelineResponse(reply: FastifyReply, response: PipelineResponse): FastifyReply {
  return reply.code(response.status).headers(response.headers).send(response.body);
}
