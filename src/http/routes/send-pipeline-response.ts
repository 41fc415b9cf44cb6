/**
 * @module http/routes/send-pipeline-response
 * The bridge from Fastify to the pipeline: an abort signal that fires when the client leaves before the
 * response is finished, and a pipeline response written as it is (a string, or a stream relayed as it arrives).
 */
import type { ServerResponse } from "node:http";
import type { FastifyReply, FastifyRequest } from "fastify";
import { isGatewayError } from "../../errors/gateway-error.ts";
import type { ModelCall, PipelineResponse } from "../../pipeline/index.ts";
import { closeResponseAfterCut } from "../close-after-cut.ts";
import "../fastify-types.ts";

/**
 * One call's controller. The open-call registry aborts this very controller when it cuts the call, with
 * the gateway's error as the reason (a client that leaves aborts it without one): the response then gets
 * the cut's grace to finish, and loses its socket after it. No listener is added per request.
 */
class CallController extends AbortController {
  readonly #response: ServerResponse;

  constructor(response: ServerResponse) {
    super();
    this.#response = response;
  }

  override abort(reason?: unknown): void {
    const first = !this.signal.aborted;
    super.abort(reason);
    if (first && isGatewayError(reason)) closeResponseAfterCut(this.#response);
  }
}

const CALL_CONTROLLER = Symbol("callController");
type CalledResponse = ServerResponse & { [CALL_CONTROLLER]?: AbortController };

/** One listener shared by every call (no closure per request): the client left before the end. */
function abortUnfinished(this: CalledResponse): void {
  if (!this.writableFinished) this[CALL_CONTROLLER]?.abort();
}

/**
 * Ends the response's call as a client that left ends it (its upstream aborted at once, recorded as
 * `client_aborted`): what a stalled client's reset would do a moment later, when its socket closes.
 */
export function abortCallOf(response: ServerResponse): void {
  abortUnfinished.call(response as CalledResponse);
}

export function modelCallOf(request: FastifyRequest, reply: FastifyReply): ModelCall {
  const raw = reply.raw as CalledResponse;
  const controller = new CallController(raw);
  raw[CALL_CONTROLLER] = controller;
  raw.on("close", abortUnfinished);
  const { userId, plan } = request.principal!;
  // The controller is this call's alone: the pipeline aborts it on a cut rather than chaining another.
  return { userId, plan, byok: request.byok!, signal: controller.signal, controller };
}

export function sendPipelineResponse(reply: FastifyReply, response: PipelineResponse): FastifyReply {
  return reply.code(response.status).headers(response.headers).send(response.body);
}
