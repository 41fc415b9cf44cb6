/**
 * @module http/routes/send-pipeline-response
 * The bridge from Fastify to the pipeline: an abort signal that fires when the client leaves before the
 * response is finished, and a pipeline response written straight to the socket's response (a string, or a
 * stream relayed as it arrives) with the headers the hooks set, past Fastify's send path.
 */
import type { ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { FastifyReply, FastifyRequest } from "fastify";
import { isGatewayError } from "../../errors/gateway-error.ts";
import type { Byok } from "../../library/create-byok.ts";
import type { AnswerShare } from "../../metering/create-answer-memory.ts";
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
const ANSWER_SHARE = Symbol("answerShare");
const RELAYED = Symbol("relayed");
type CalledResponse = ServerResponse & {
  [CALL_CONTROLLER]?: AbortController;
  [ANSWER_SHARE]?: AnswerShare;
  [RELAYED]?: Readable;
};
type RelayedBody = Readable & { [RELAYED]?: ServerResponse };

/**
 * One listener shared by every call (no closure per request): the response closed. What its whole answers
 * held is given back; if it had not finished (the client left), the call is aborted (its upstream released)
 * and a stream being relayed is destroyed (the relay records the cut).
 */
function abortUnfinished(this: CalledResponse): void {
  this[ANSWER_SHARE]?.release();
  if (this.writableFinished) return;
  this[CALL_CONTROLLER]?.abort();
  const body = this[RELAYED];
  if (body !== undefined && !body.destroyed) body.destroy();
}

/** A relayed stream that failed as a stream (never expected: relays end with an error event) ends its response. */
function destroyResponse(this: RelayedBody): void {
  this[RELAYED]?.destroy();
}

/**
 * Ends the response's call as a client that left ends it (its upstream aborted at once, recorded as
 * `client_aborted`): what a stalled client's reset would do a moment later, when its socket closes.
 */
export function abortCallOf(response: ServerResponse): void {
  abortUnfinished.call(response as CalledResponse);
}

/**
 * The pipeline's call for a request: its abort controller, and its share of the answer memory, given back
 * when the response closes (what a whole answer holds lasts until the client has it).
 */
export function modelCallOf(byok: Byok, request: FastifyRequest, reply: FastifyReply): ModelCall {
  const raw = reply.raw as CalledResponse;
  const controller = new CallController(raw);
  raw[CALL_CONTROLLER] = controller;
  const { userId, plan, via } = request.principal!;
  const answerShare = byok.answerMemory.open(userId);
  raw[ANSWER_SHARE] = answerShare;
  raw.on("close", abortUnfinished);
  // The controller is this call's alone: the pipeline aborts it on a cut rather than chaining another.
  const marks = request.cutMarks ?? undefined;
  return {
    userId,
    plan,
    via,
    byok: request.byok!,
    signal: controller.signal,
    controller,
    answerShare,
    marks,
  };
}

/**
 * Writes the pipeline's response on the raw response, as Fastify's `send` would with no onSend hook (none
 * is registered): the headers the hooks set on the reply (request id, X-BYOK-Status, CORS), then the
 * response's own (which win); a string with its length, a stream piped with backpressure. The reply is hijacked
 * once the headers are taken, so Fastify's send path (serializers, hooks, two end-of-stream watchers per
 * stream) is skipped; its response listeners, set when the request arrived, still log the request's end. A
 * header Node refuses is thrown before the hijack, for Fastify's error envelope to answer (a stream released).
 */
export function sendPipelineResponse(reply: FastifyReply, response: PipelineResponse): FastifyReply {
  const raw = reply.raw as CalledResponse;
  const { headers, body } = response;
  const hooks = reply.getHeaders();
  for (const name in hooks) {
    const value = hooks[name];
    if (value !== undefined) raw.setHeader(name, value);
  }
  try {
    for (const name in headers) raw.setHeader(name, headers[name]!);
  } catch (error) {
    // Fastify's error answer sets the hooks' headers again; the response's are dropped.
    for (const name in headers) raw.removeHeader(name);
    if (typeof body !== "string") body.destroy();
    throw error;
  }
  reply.hijack();
  raw.statusCode = response.status;
  if (typeof body === "string") {
    raw.setHeader("content-length", Buffer.byteLength(body));
    raw.end(body);
    return reply;
  }
  if (raw.destroyed) {
    // The client left while the call was being answered: nothing is written, the stream is released.
    body.destroy();
    return reply;
  }
  raw[RELAYED] = body;
  (body as RelayedBody)[RELAYED] = raw;
  // A response made without a call (modelCallOf adds this listener) still releases its stream.
  if (raw[CALL_CONTROLLER] === undefined) raw.on("close", abortUnfinished);
  body.once("error", destroyResponse);
  body.pipe(raw);
  return reply;
}
