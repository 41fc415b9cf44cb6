/**
 * @module pipeline/serve-responses-on-anthropic
 * `POST /v1/responses` translated to Anthropic Messages. A placeholder until that path is built: it refuses the call.
 */
import { GatewayError } from "../errors/gateway-error.ts";
import type { PipelineKit, RoutedCall } from "./create-pipeline-kit.ts";
import type { ModelCall, PipelineResponse } from "./pipeline-types.ts";

export async function serveResponsesOnAnthropic(
  _kit: PipelineKit,
  _call: ModelCall,
  _body: Readonly<Record<string, unknown>>,
  routed: RoutedCall,
  _started: number,
): Promise<PipelineResponse> {
  throw new GatewayError("no_route", {
    message: `The Responses API translated to Anthropic Messages is not built yet (this request routes to ${routed.adapter.id}).`,
    param: "model",
  });
}
