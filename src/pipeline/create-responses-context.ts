/**
 * @module pipeline/create-responses-context
 * The identity of one translated Responses answer: a fresh `resp_…` id, the creation time from the
 * pipeline's clock, and the model and request the client sent (echoed into the Response).
 */
import { randomUUID } from "node:crypto";
import type { ResponsesContext } from "../translate/index.ts";
import type { PipelineKit, RoutedCall } from "./create-pipeline-kit.ts";

/** A translated answer's identity: a fresh `resp_…` id, now, the model and request the client sent. */
export function createResponsesContext(
  kit: PipelineKit,
  body: Readonly<Record<string, unknown>>,
  routed: RoutedCall,
): ResponsesContext {
  return {
    id: `resp_${randomUUID().replaceAll("-", "")}`,
    createdAt: Math.floor(kit.now() / 1000),
    model: typeof body.model === "string" ? body.model : routed.route.model,
    request: body,
  };
}
