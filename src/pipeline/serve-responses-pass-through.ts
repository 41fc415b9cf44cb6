/**
 * @module pipeline/serve-responses-pass-through
 * `POST /v1/responses` passed through to an upstream that speaks the Responses API. A placeholder until that path is built: it refuses the call.
 */
import { GatewayError } from "../errors/gateway-error.ts";
import type { PipelineKit, RoutedCall } from "./create-pipeline-kit.ts";
import type { ModelCall, PipelineResponse } from "./pipeline-types.ts";

export async function servePassThroughResponses(
  _kit: PipelineKit,
  _call: ModelCall,
  _body: Readonly<Record<string, unknown>>,
  routed: RoutedCall,
  _started: number,
): Promise<PipelineResponse> {
  throw new GatewayError("no_route", {
    message: `The Responses API passed through to an upstream that speaks the Responses API is not built yet (this request routes to ${routed.adapter.id}).`,
    param: "model",
  });
}
